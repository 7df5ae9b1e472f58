package sieve

import (
	"context"
	"fmt"
	"testing"
)

// RunSequence runs the before, user and after scripts as one run: the
// actions add up, stop ends the sequence, the implicit keep is decided at
// the end, each script has its own variables, and an error names the
// failing script and leaves the implicit keep alone.
func TestRunSequence(t *testing.T) {
	compile := func(src string) *Script {
		t.Helper()
		s, err := Compile([]byte(src), Limits{})
		if err != nil {
			t.Fatalf("compile %q: %v", src, err)
		}
		return s
	}
	before := compile(`require ["imap4flags", "variables"]; set "v" "before"; addflag "$B";`)
	discard := compile(`discard;`)
	stop := compile(`stop;`)
	after := compile(`require ["fileinto", "variables"]; if string :is "${v}" "" { fileinto "After"; }`)
	broken := compile(`require "include"; include "missing";`)
	show := func(res Result) string {
		var out string
		for _, a := range res.Actions {
			out += fmt.Sprintf("%s:%s%v ", a.Kind, a.Mailbox, a.Flags)
		}
		return out
	}
	cases := []struct {
		name    string
		scripts []*Script
		want    string
		failed  int
	}{
		{"actions add up; variables are per script", []*Script{before, after}, "fileinto:After[$B] ", -1},
		{"stop ends the sequence", []*Script{before, stop, after}, "keep:INBOX[$B] ", -1},
		{"the implicit keep is decided at the end", []*Script{discard, before}, "discard:[] ", -1},
		{"an error keeps and names the script", []*Script{before, broken, after}, "keep:INBOX[] ", 1},
	}
	for _, c := range cases {
		res, failed := RunSequence(context.Background(), c.scripts, plainMsg(t), Environment{})
		if got := show(res); got != c.want || failed != c.failed || (failed >= 0) != (res.Err != nil) {
			t.Errorf("%s: %s (failed %d, err %v), want %s (failed %d)", c.name, got, failed, res.Err, c.want, c.failed)
		}
	}
}
