package tlsrpt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

func TestParseRecord(t *testing.T) {
	good := []struct {
		txt          string
		mailto, http []string
	}{
		{"v=TLSRPTv1; rua=mailto:reports@example.com", []string{"reports@example.com"}, nil},
		{"v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.com/tlsrpt;", []string{"a@example.com"}, []string{"https://r.example.com/tlsrpt"}},
		{"v=TLSRPTv1; RUA=mailto:a%40b@example.com , mailto:c@example.com?subject=x; ext_1=v", []string{"c@example.com"}, nil},
		{"v=TLSRPTv1; rua=https://r.example.com", nil, []string{"https://r.example.com"}},
		{"v=TLSRPTv1; rua=mailto:x@example.com, ftp://x.example.com, mailto:bad", []string{"x@example.com"}, nil},
	}
	for _, c := range good {
		rec, err := ParseRecord(c.txt)
		if err != nil {
			t.Errorf("%q: %v", c.txt, err)
			continue
		}
		if !slices.Equal(rec.Mailto, c.mailto) || !slices.Equal(rec.HTTPS, c.http) {
			t.Errorf("%q: mailto %q https %q, want %q %q", c.txt, rec.Mailto, rec.HTTPS, c.mailto, c.http)
		}
	}
	for _, bad := range []string{
		"", "v=TLSRPTv1", "v=TLSRPTv1;", "v=TLSRPTv2; rua=mailto:a@example.com", " v=TLSRPTv1; rua=mailto:a@example.com",
		"rua=mailto:a@example.com; v=TLSRPTv1", "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
		"v=TLSRPTv1; rua=mailto:a@example.com;; x=y", "v=TLSRPTv1; rua=mailto:a@example.com; x", "v=TLSRPTv1; rua=mailto:a@example.com; _x=y",
		"v=TLSRPTv1; rua=mailto:a@example.com; x=a=b", "v=TLSRPTv1; rua=ftp://x.example.com", "v=TLSRPTv1 ;\trua = ",
		"v=TLSRPTv1; rua=mailto:bad",
	} {
		if rec, err := ParseRecord(bad); err == nil {
			t.Errorf("%q accepted: %+v", bad, rec)
		}
	}
}

// TestDiscover: only records that start with "v=TLSRPTv1;" count, and
// exactly one must be left (RFC 8460 §3).
func TestDiscover(t *testing.T) {
	ctx := context.Background()
	dns := fakeDNS{
		"_smtp._tls.one.example.":    {"v=spf1 -all", "v=TLSRPTv1; rua=mailto:r@one.example"},
		"_smtp._tls.two.example.":    {"v=TLSRPTv1; rua=mailto:a@two.example", "v=TLSRPTv1; rua=mailto:b@two.example"},
		"_smtp._tls.bad.example.":    {"v=TLSRPTv1; rua=gopher://x"},
		"_smtp._tls.nosemi.example.": {"v=TLSRPTv1"},
	}
	nx := func(err error) bool { return errors.Is(err, errNX) }
	if rec, err := Discover(ctx, dns, "one.example.", nx); err != nil || rec.Mailto[0] != "r@one.example" {
		t.Errorf("one.example: %+v, %v", rec, err)
	}
	for _, d := range []string{"two.example", "bad.example", "nosemi.example", "none.example"} {
		if _, err := Discover(ctx, dns, d, nx); !errors.Is(err, ErrNoRecord) {
			t.Errorf("%s: %v, want ErrNoRecord", d, err)
		}
	}
	if _, err := Discover(ctx, dns, "none.example", nil); errors.Is(err, ErrNoRecord) || err == nil {
		t.Errorf("a failed lookup without isNotFound: %v, want the lookup's error", err)
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"v=TLSRPTv1; rua=mailto:reports@example.com", "v=TLSRPTv1;rua=https://x.example/a,mailto:b@c.example;",
		"v=TLSRPTv1; rua=mailto:a%40b@x.example; e=1", "v=TLSRPTv1 ; rua=mailto:x@y.example ;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		rec, err := ParseRecord(txt)
		if err != nil {
			return
		}
		if !strings.HasPrefix(txt, version) || len(rec.Mailto)+len(rec.HTTPS) == 0 {
			t.Fatalf("%q accepted as %+v", txt, rec)
		}
		for _, a := range rec.Mailto {
			if !validMailto(a) {
				t.Fatalf("%q: mailto address %q", txt, a)
			}
		}
		for _, u := range rec.HTTPS {
			if !strings.HasPrefix(strings.ToLower(u), "https://") {
				t.Fatalf("%q: https URI %q", txt, u)
			}
		}
	})
}

// validMailto: an address fit for a To field in angle brackets and for
// an envelope: it parses as itself, without angle brackets or line breaks.
func validMailto(a string) bool {
	p, err := mailaddr.Parse(a)
	return err == nil && p.String() == a && !strings.ContainsAny(a, "<>\r\n\x00")
}

// A record naming many addresses gets its first maxURIs only.
func TestParseRecordBoundsURIs(t *testing.T) {
	var uris []string
	for i := range 50 {
		uris = append(uris, fmt.Sprintf("mailto:r%d@example.net", i))
	}
	r, err := ParseRecord("v=TLSRPTv1; rua=" + strings.Join(uris, ","))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Mailto) != maxURIs || r.Mailto[0] != "r0@example.net" {
		t.Errorf("%d addresses (%q), want the first %d", len(r.Mailto), r.Mailto, maxURIs)
	}
}
