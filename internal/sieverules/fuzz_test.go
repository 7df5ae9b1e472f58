package sieverules_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sieverules"
)

// Any rule set (given as JSON) is either refused with a FieldError or
// generates a script that compiles and reads back equal.
func FuzzGenerate(f *testing.F) {
	for _, s := range []string{
		`{"rules":[{"field":"subject","match":"contains","value":"a\"b\\c*","action":"fileinto","arg":"F\"\\","stop":true}]}`,
		`{"rules":[{"field":"header","header":"X-Spam","match":"is","value":"${hex:41}","action":"flag","arg":"\\Flagged"}]}`,
		`{"rules":[{"field":"to","match":"not-contains","value":"x","action":"redirect","arg":"a@b.example","copy":true}]}`,
		`{"rules":[{"field":"from","match":"is","value":"x","action":"discard"}],"vacation":{"enabled":true,"days":7,"subject":"s\"","reason":"r\n\\","addresses":["a@b.example"]}}`,
		`{"vacation":{"enabled":false,"days":0}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s sieverules.Set
		if json.Unmarshal(data, &s) != nil {
			return
		}
		src, err := sieverules.Generate(s)
		if err != nil {
			var fe *sieverules.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("refused without a FieldError: %v", err)
			}
			return
		}
		if _, err := sieve.Compile(src, sieve.Limits{}); err != nil {
			t.Fatalf("generated script does not compile: %v\n%s", err, src)
		}
		back, err := sieverules.Parse(src)
		if err != nil || !sameSet(back, s) {
			t.Fatalf("Parse = %+v, %v; want %+v", back, err, s)
		}
	})
}

// Parse never panics, and what it accepts is exactly what its rules
// generate.
func FuzzParse(f *testing.F) {
	src, _ := sieverules.Generate(sieverules.Set{Rules: []sieverules.Rule{{Field: "subject", Match: "is", Value: "x", Action: "discard"}}})
	f.Add(src)
	f.Add([]byte("keep;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := sieverules.Parse(data)
		if err != nil {
			return
		}
		again, err := sieverules.Generate(s)
		if err != nil || !bytes.Equal(again, bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))) {
			t.Fatalf("Parse accepted %q, which its rules do not generate (%v)", data, err)
		}
	})
}
