package maildir

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxKeywords is how many keywords a Maildir file name can carry: the 26
// lower-case letters.
const MaxKeywords = 26

// Keywords is a dovecot-keywords file: the keyword of each letter index.
type Keywords [MaxKeywords]string

// ParseKeywords reads dovecot-keywords ("INDEX KEYWORD" lines). Indexes
// beyond the 26 letters, and lines that are not records, are skipped.
func ParseKeywords(r io.Reader) (*Keywords, error) {
	var k Keywords
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		idx, kw, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(idx)
		kw = strings.TrimSpace(kw)
		if !ok || err != nil || n < 0 || n >= MaxKeywords || kw == "" || strings.ContainsAny(kw, " \t") {
			continue
		}
		k[n] = kw
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dovecot-keywords: %w", err)
	}
	return &k, nil
}

// Of returns the keywords of the lower-case letters of a name; a letter
// without a keyword is skipped.
func (k *Keywords) Of(letters string) []string {
	var out []string
	for _, c := range []byte(letters) {
		if c >= 'a' && c <= 'z' && k != nil && k[c-'a'] != "" {
			out = append(out, k[c-'a'])
		}
	}
	return out
}

// Letter returns the letter of kw, adding it when there is room; ok is
// false when all 26 are taken by others.
func (k *Keywords) Letter(kw string) (byte, bool) {
	for i, have := range k {
		if strings.EqualFold(have, kw) {
			return 'a' + byte(i), true
		}
	}
	for i, have := range k {
		if have == "" {
			k[i] = kw
			return 'a' + byte(i), true
		}
	}
	return 0, false
}

// Write writes the file.
func (k *Keywords) Write(w io.Writer) error {
	for i, kw := range k {
		if kw != "" {
			if _, err := fmt.Fprintf(w, "%d %s\n", i, kw); err != nil {
				return err
			}
		}
	}
	return nil
}
