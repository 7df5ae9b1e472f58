package testkit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// errTB records Errorf instead of failing the test.
type errTB struct {
	testing.TB
	errs []string
}

func (e *errTB) Helper() {}
func (e *errTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

// TestJSONLines: the log checker finds every kind of broken convention,
// and passes a line that keeps them.
func TestJSONLines(t *testing.T) {
	var b strings.Builder
	JSONLogger(&b).Info("good", "msg_id", "x", "rcpts", 2, "tls", true, "delay_ms", (1500 * time.Millisecond).Milliseconds(),
		"rcpt_list", []string{"a@b"})
	good := b.String()
	if lines := JSONLines(t, good); len(lines) != 1 || lines[0].Str("msg_id") != "x" {
		t.Fatalf("JSONLines(%q) = %v", good, lines)
	}
	for _, bad := range []string{
		`{"msg":"x","listener":"smtp","listener":"smtp"}`, // a key twice
		`{"msg":"x","delay":"1.5s"}`,                      // a Go duration
		`{"msg":"x","timeout_ms":"1500"}`,                 // *_ms not a number
		`{"msg":"x","tls":"true"}`,                        // a boolean as a string
		`{"msg":"x","rcpts":["a@b"]}`,                     // rcpts is a count
		`{"msg":"x","error":"refused"}`,                   // err everywhere else
		`{"msg":"x","version":"TLS 1.3"}`,                 // tls_version
		`{"msg":"x","remote":"invalid IP"}`,               // an IP or "local"
		`{"msg":"x","conn":"c1"}`,                         // conn without listener
	} {
		tb := &errTB{TB: t}
		JSONLines(tb, bad)
		if len(tb.errs) != 1 {
			t.Errorf("JSONLines(%s): %d errors %q, want 1", bad, len(tb.errs), tb.errs)
		}
	}
}
