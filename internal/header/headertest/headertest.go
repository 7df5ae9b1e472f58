// Package headertest holds the tricky From fields that every reader of
// package header's From rule is tested on (msgmeta, dkim, msgauth,
// delivery), so that they agree: folded fields, several From fields,
// group syntax (RFC 6854), encoded words (RFC 2047), 8-bit (RFC 6532),
// unparsable and missing fields.
package headertest

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

//go:embed from.json
var fromJSON []byte

// FromCase is one header and what the From rule reads from it.
type FromCase struct {
	Name string `json:"name"`
	// Header is the header section without its empty line.
	Header string `json:"header"`
	// Authors are the addresses (local@domain as written), Domains their
	// domains as written (and those of unparsable fields), Fields the
	// number of From fields.
	Authors  []string `json:"authors"`
	Domains  []string `json:"domains"`
	Fields   int      `json:"fields"`
	Readable bool     `json:"readable"` // header.Authors.Readable
	// Malformed is set when the header has a line that is no field
	// (header.Malformed), which submission refuses.
	Malformed bool `json:"malformed"`
}

// FromCases returns the cases.
func FromCases(tb testing.TB) []FromCase {
	tb.Helper()
	var cs []FromCase
	if err := json.Unmarshal(fromJSON, &cs); err != nil {
		tb.Fatal(err)
	}
	return cs
}

// CheckDomains fails t unless domains, reading each case's header section
// followed by an empty line and a body, returns the case's domains passed
// through canon ("" drops one), each once when unique is set.
func CheckDomains(t *testing.T, domains func(*bufio.Reader) ([]string, error), canon func(string) string, unique bool) {
	t.Helper()
	for _, c := range FromCases(t) {
		var want []string
		for _, d := range c.Domains {
			if d = canon(d); d != "" && !(unique && slices.Contains(want, d)) {
				want = append(want, d)
			}
		}
		got, err := domains(bufio.NewReader(strings.NewReader(c.Header + "\r\nbody\r\n")))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: domains %q (%v), want %q", c.Name, got, err, want)
		}
	}
}
