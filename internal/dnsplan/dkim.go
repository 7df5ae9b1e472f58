package dnsplan

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// tagList is a tag=value list (RFC 6376 §3.2), the syntax of DKIM key
// records.
type tagList struct {
	names  []string // in the order of the record
	values map[string]string
}

// parseTagList parses s; a tag without "=", an invalid name or a name that
// occurs twice makes the whole list invalid (RFC 6376 §3.2).
func parseTagList(s string) (tagList, bool) {
	t := tagList{values: map[string]string{}}
	for spec := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(spec) == "" {
			continue // the last tag-spec may end with ";"; empty ones are tolerated
		}
		name, value, ok := strings.Cut(spec, "=")
		name = strings.TrimSpace(name)
		if _, dup := t.values[name]; !ok || !validTagName(name) || dup {
			return tagList{}, false
		}
		t.names = append(t.names, name)
		t.values[name] = strings.TrimSpace(value)
	}
	return t, len(t.names) > 0
}

// validTagName: ALPHA *ALNUMPUNC (RFC 6376 §3.2).
func validTagName(name string) bool {
	for i, c := range []byte(name) {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return name != ""
}

func (t tagList) get(name string) string { return t.values[name] }

func (t tagList) has(name string) bool {
	_, ok := t.values[name]
	return ok
}

// checkDKIM: every key of the domain is published under its selector.
func (c *checker) checkDKIM(ctx context.Context) {
	if len(c.p.DKIM) == 0 {
		c.report(StatusMissing, "DKIM", c.p.Domain, "no DKIM key on this server: run petrel dkim generate %s, then publish its record", c.p.Domain)
		return
	}
	for _, k := range c.p.DKIM {
		c.checkDKIMKey(ctx, k)
	}
}

// checkDKIMKey: the key records at k's name (RFC 6376 §3.6.2.1) all carry
// the public key of the key file.
func (c *checker) checkDKIMKey(ctx context.Context, k DKIMRecord) {
	want, _ := parseTagList(k.TXT)
	wantText := fmt.Sprintf("the key of selector %s (k=%s)", k.Selector(), want.get("k"))
	txts, err := c.r.LookupTXT(ctx, k.Name)
	if err != nil {
		c.lookupFailed("DKIM", k.Name, err, wantText)
		return
	}
	n := 0
	for _, txt := range txts {
		got, ok := parseTagList(txt)
		if !ok || !got.has("p") {
			continue // not a key record
		}
		n++
		if problem := dkimKeyDiff(got, want); problem != "" {
			c.report(StatusWrong, "DKIM", k.Name, "%s; want %s", problem, wantText)
			return
		}
	}
	if n == 0 {
		c.report(StatusMissing, "DKIM", k.Name, "no key record among %d TXT records; want %s", len(txts), wantText)
		return
	}
	c.report(StatusOK, "DKIM", k.Name, "k=%s, the public key of the key file", want.get("k"))
}

// dkimKeyDiff says how a published key record differs from the one the
// key file gives, or "" when they carry the same key (RFC 6376 §3.6.1).
func dkimKeyDiff(got, want tagList) string {
	if got.has("v") && (got.names[0] != "v" || got.get("v") != "DKIM1") {
		return `"v=" must be the first tag and say DKIM1`
	}
	if k := cmp.Or(got.get("k"), "rsa"); !strings.EqualFold(k, want.get("k")) {
		return fmt.Sprintf("the record has a k=%s key", k)
	}
	p := strings.Join(strings.Fields(got.get("p")), "")
	if p == "" {
		return "the key is revoked (empty p=)"
	}
	gp, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return "p= is not valid base64"
	}
	wp, _ := base64.StdEncoding.DecodeString(want.get("p"))
	if !bytes.Equal(gp, wp) {
		return "the published public key differs from the key file"
	}
	return ""
}
