package smtpclient

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// sendAll sends each message with one client and checks every result.
func sendAll(t *testing.T, c *Client, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range n {
		res := c.Send(ctx, "remote.test", msg("x\r\n", "a@remote.test"))
		want(t, res, "250 2.0.0")
	}
}

// verbs are the commands of the i-th connection so far.
func verbs(srv *fakeServer, i int) []string {
	var lines []string
	srv.locked(func() { lines = append(lines, srv.conns[i].lines...) })
	var out []string
	for _, l := range lines {
		v, _, _ := strings.Cut(l, " ")
		out = append(out, strings.ToUpper(v))
	}
	return out
}

func TestConnectionCacheReusesConnection(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{ext: []string{"PIPELINING"}})
	e.cfg.ConnectionCacheTime = time.Minute
	c := e.client()
	defer c.Close()
	sendAll(t, c, 3)
	trs := srv.transcripts()
	if len(trs) != 1 {
		t.Fatalf("%d connections for 3 messages, want 1", len(trs))
	}
	got := verbs(srv, 0)
	wantVerbs := []string{"EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "RSET"}
	if !slices.Equal(got, wantVerbs) {
		t.Fatalf("commands %v, want %v", got, wantVerbs)
	}
	c.Close()
	time.Sleep(50 * time.Millisecond)
	if got := verbs(srv, 0); got[len(got)-1] != "QUIT" {
		t.Fatalf("Close did not QUIT the idle connection: %v", got)
	}
}

func TestConnectionCacheOff(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{})
	c := e.client()
	sendAll(t, c, 2)
	if n := len(srv.transcripts()); n != 2 {
		t.Fatalf("%d connections without a cache, want 2", n)
	}
	if got := verbs(srv, 0); slices.Contains(got, "RSET") || got[len(got)-1] != "QUIT" {
		t.Fatalf("commands %v", got)
	}
}

// A cached connection that the server closed, or ended with a 421, is not
// a failure: the client connects again.
func TestConnectionCacheStale(t *testing.T) {
	for _, after := range []string{"close", "421 4.4.2 idle too long"} {
		t.Run(after, func(t *testing.T) {
			srv, e := oneMX(t, &fakeServer{ext: []string{"PIPELINING"}, afterRSET: after})
			e.cfg.ConnectionCacheTime = time.Minute
			c := e.client()
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			want(t, c.Send(ctx, "remote.test", msg("x\r\n", "a@remote.test")), "250 2.0.0")
			time.Sleep(50 * time.Millisecond) // the server has hung up
			want(t, c.Send(ctx, "remote.test", msg("x\r\n", "a@remote.test")), "250 2.0.0")
			trs := srv.transcripts()
			if len(trs) != 2 {
				t.Fatalf("%d connections, want 2", len(trs))
			}
			if trs[1].body == "" {
				t.Fatal("the second message was not sent on the new connection")
			}
		})
	}
}

func TestConnectionCacheExpires(t *testing.T) {
	srv, e := oneMX(t, &fakeServer{})
	e.cfg.ConnectionCacheTime = 50 * time.Millisecond
	c := e.client()
	sendAll(t, c, 1)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := verbs(srv, 0)
		if got[len(got)-1] == "QUIT" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the idle connection was not ended: %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	sendAll(t, c, 1)
	if n := len(srv.transcripts()); n != 2 {
		t.Fatalf("%d connections, want 2 (the first expired)", n)
	}
}

// With the connection cache, MX and address answers are kept as long;
// failed lookups are asked again.
func TestConnectionCacheKeepsAnswers(t *testing.T) {
	_, e := oneMX(t, &fakeServer{})
	e.cfg.ConnectionCacheTime = time.Minute
	c := e.client()
	defer c.Close()
	sendAll(t, c, 1)
	asked := e.dns.Queries()
	sendAll(t, c, 2)
	if got := e.dns.Queries(); got != asked {
		t.Fatalf("%d more DNS queries for the same domain", got-asked)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.dns.ServFail("broken.test")
	c.Send(ctx, "broken.test", msg("x\r\n", "a@broken.test"))
	asked = e.dns.Queries()
	res := c.Send(ctx, "broken.test", msg("x\r\n", "a@broken.test"))
	if e.dns.Queries() == asked {
		t.Fatal("a failed lookup was kept")
	}
	want(t, res, "451 4.4.3")
}
