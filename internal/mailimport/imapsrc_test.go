package mailimport

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// fakeIMAP serves one connection: it greets, accepts LOGIN and
// CAPABILITY, and hands every other command to other; it reports the
// octets it wrote.
func fakeIMAP(t *testing.T, other func(w io.Writer, tag, cmd string)) (addr string, written *atomic.Int64) {
	t.Helper()
	ln := testkit.Listen(t)
	written = &atomic.Int64{}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		w := &countWriter{w: c, n: written}
		fmt.Fprintf(w, "* OK fake\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch verb, _, _ := strings.Cut(cmd, " "); strings.ToUpper(verb) {
			case "LOGIN":
				fmt.Fprintf(w, "%s OK logged in\r\n", tag)
			case "CAPABILITY":
				fmt.Fprintf(w, "* CAPABILITY IMAP4rev1\r\n%s OK done\r\n", tag)
			default:
				other(w, tag, cmd)
			}
		}
	}()
	return ln.Addr().String(), written
}

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// TestIMAPSourceStalledServer: a server that stops answering is cut off
// at the command's deadline.
func TestIMAPSourceStalledServer(t *testing.T) {
	addr, _ := fakeIMAP(t, func(io.Writer, string, string) {})
	src := &IMAPSource{Addr: addr, Security: Plain, User: "u", Password: "p", MaxSize: 1 << 20, Timeout: time.Second}
	if err := src.Dial(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	start := time.Now()
	_, err := src.list(context.Background())
	if err == nil {
		t.Fatal("LIST without an answer succeeded")
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Fatalf("cut off after %s, deadline 1s", el)
	}
}

// TestIMAPSourceHugeLiteral: a server that announces a literal of a
// gigabyte in a LIST answer and sends it is cut off once the command's
// budget is read; the client holds no more than that.
func TestIMAPSourceHugeLiteral(t *testing.T) {
	addr, written := fakeIMAP(t, func(w io.Writer, tag, cmd string) {
		fmt.Fprintf(w, "* LIST () \"/\" {1073741824}\r\n")
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range (1 << 30) / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	src := &IMAPSource{Addr: addr, Security: Plain, User: "u", Password: "p", MaxSize: 1 << 20, Timeout: time.Minute}
	if err := src.Dial(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.list(context.Background()); err == nil {
		t.Fatal("LIST with a gigabyte name succeeded")
	}
	// What the server got written before the client closed: the budget
	// and what the socket buffers hold, far from the gigabyte.
	time.Sleep(100 * time.Millisecond)
	if n := written.Load(); n > smallBudget+64<<20 {
		t.Fatalf("the server wrote %d octets before the client cut it off (budget %d)", n, smallBudget)
	}
}

// TestIMAPSourceStartTLSRequired: imap:// without --insecure refuses a
// server that offers no STARTTLS, before the password goes out.
func TestIMAPSourceStartTLSRequired(t *testing.T) {
	var gotLogin atomic.Bool
	ln := testkit.Listen(t)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprintf(c, "* OK [CAPABILITY IMAP4rev1] fake\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
			if strings.HasPrefix(strings.ToUpper(cmd), "LOGIN") {
				gotLogin.Store(true)
			}
			fmt.Fprintf(c, "%s BAD no\r\n", tag)
		}
	}()
	src := &IMAPSource{Addr: ln.Addr().String(), Security: StartTLS, User: "u", Password: "p", Timeout: 5 * time.Second}
	if err := src.Dial(context.Background()); err == nil {
		src.Close()
		t.Fatal("a server without STARTTLS was accepted")
	}
	if gotLogin.Load() {
		t.Fatal("the password went out in clear")
	}
}

var _ net.Conn = (*budgetConn)(nil)
