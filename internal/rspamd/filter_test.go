package rspamd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestVerdictOf(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   Action
		code   int
		enh    string
	}{
		{"reject", Reject, 550, "5.7.1"},
		{"soft reject", TempFail, 451, "4.7.1"},
		{"greylist", TempFail, 451, "4.7.1"},
		{"add header", Junk, 0, ""},
		{"rewrite subject", Junk, 0, ""},
		{"no action", Accept, 0, ""},
	} {
		v := verdictOf(Result{Action: tc.action, Score: 3, Required: 15})
		if v.Action != tc.want {
			t.Errorf("%q: action %v, want %v", tc.action, v.Action, tc.want)
		}
		if tc.code == 0 && v.Reply != nil || tc.code != 0 && (v.Reply == nil || v.Reply.Code != tc.code || v.Reply.Enhanced.String() != tc.enh) {
			t.Errorf("%q: reply %v, want %d %s", tc.action, v.Reply, tc.code, tc.enh)
		}
	}
}

// TestStatusField: the field is folded under 78 characters a line,
// symbols highest first, and a hostile symbol name cannot break it.
func TestStatusField(t *testing.T) {
	syms := map[string]Symbol{"BAD\r\nX-Injected: 1": {Score: 9}}
	for i := range 30 {
		syms[fmt.Sprintf("SYMBOL_NUMBER_%02d", i)] = Symbol{Score: float64(i) / 10}
	}
	f := statusField(Result{Action: "add header", Score: 7.9, Required: 15, Symbols: syms}, true)
	if !strings.HasPrefix(f, "X-Spam-Status: Yes, score=7.90 required=15.00 action=\"add header\"\r\n\ttests=[BADX-Injected1=9.00, SYMBOL_NUMBER_29=2.90,") {
		t.Errorf("field starts wrong:\n%s", f)
	}
	if !strings.HasSuffix(f, "SYMBOL_NUMBER_00=0.00]\r\n") {
		t.Errorf("field ends wrong:\n%s", f)
	}
	lines := strings.Split(strings.TrimSuffix(f, "\r\n"), "\r\n")
	for i, l := range lines {
		if len(l) > 78 || strings.ContainsAny(l, "\r\n") || i > 0 && l[0] != '\t' {
			t.Errorf("line %d %q: over 78 or not a continuation", i, l)
		}
	}
}

// TestScanFailurePolicy: rspamd not listening, answering an error, an
// answer that is not rspamd's, or answering late all end in the failure
// policy within the timeout.
func TestScanFailurePolicy(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // then the server notices the client going away
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	}))
	defer broken.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"score": "high"`)
	}))
	defer garbage.Close()
	noAction := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"score": 99}`)
	}))
	defer noAction.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, url := range []string{slow.URL, broken.URL, garbage.URL, noAction.URL, closed.URL} {
		f := NewFilter(Config{URL: url, Timeout: 200 * time.Millisecond}, nil, nil)
		start := time.Now()
		v := f.Scan(context.Background(), testInput(), strings.NewReader("x"), 1)
		if v.Action != Accept || v.Scanned || v.Header != "X-Spam-Status: Unscanned\r\n" {
			t.Errorf("%s: %+v, want Accept marked Unscanned", url, v)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: scan took %v, timeout 200ms", url, d)
		}
	}
}

// TestScanConcurrency: no more than MaxConcurrent scans reach rspamd at
// once.
func TestScanConcurrency(t *testing.T) {
	var now, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if got := r.Header.Values("Rcpt"); len(got) != 1 || got[0] != "alice@example.org" || r.Header.Get("IP") != "192.0.2.1" {
			t.Errorf("headers: %v", r.Header)
		}
		time.Sleep(50 * time.Millisecond)
		fmt.Fprint(w, `{"action":"no action","score":0.5,"required_score":15,"symbols":{}}`)
	}))
	defer srv.Close()
	f := NewFilter(Config{URL: srv.URL, MaxConcurrent: 2, Timeout: 10 * time.Second}, nil, nil)
	done := make(chan Verdict)
	for range 8 {
		go func() { done <- f.Scan(context.Background(), testInput(), strings.NewReader("x"), 1) }()
	}
	for range 8 {
		if v := <-done; v.Action != Accept || !v.Scanned {
			t.Errorf("verdict %+v", v)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want 2", p)
	}
}
