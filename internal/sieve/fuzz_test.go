package sieve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzCompile feeds scripts to the parser and runs those that compile:
// neither may panic, and a compile error must carry a position inside
// the script.
func FuzzCompile(f *testing.F) {
	paths, _ := filepath.Glob("testdata/diff/*.case")
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		if _, script, ok := strings.Cut(string(b), "----\n"); ok {
			f.Add(script)
		}
	}
	f.Add("text:\n..\n.\n")
	f.Add(`require "encoded-character"; redirect "${hex:}${unicode:d800}";`)
	raw, err := os.ReadFile("testdata/msgs/multi.eml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Compile([]byte(src), Limits{MaxSteps: 10000, MaxTime: time.Second})
		if err != nil {
			se, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v", err, err)
			}
			lines := strings.Count(src, "\n") + 1
			if se.Pos.Line < 1 || se.Pos.Line > lines || se.Pos.Col < 1 {
				t.Fatalf("position %s outside the script (%d lines)", se.Pos, lines)
			}
			return
		}
		res := s.Run(context.Background(), ParseMessage(raw), Environment{Envelope: Envelope{From: "a@b.c", To: "d@e.f"}})
		if len(res.Actions) == 0 && res.Err == nil && !hasCancel(src) {
			t.Fatalf("no action and no cancel in %q", src)
		}
	})
}

// hasCancel says whether src could have cancelled the implicit keep.
func hasCancel(src string) bool {
	l := strings.ToLower(src)
	for _, w := range []string{"discard", "reject", "redirect", "fileinto", "keep", "include"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}
