package autoconfig

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// FuzzParseRequest: any body is an error or a request whose address is
// valid and whose schema is the outlook one or none; the response to it
// is XML that gives the address back exactly.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{
		outlookRequest("alice@example.org", NSOutlook),
		outlookRequest(`"a<b>&c"@example.org`, NSOutlook),
		outlookRequest("anna@bücher.example", ""),
		`<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress></Request></Autodiscover>`,
		`<!DOCTYPE x [<!ENTITY e "a@b.c">]><Autodiscover><Request><EMailAddress>&e;</EMailAddress></Request></Autodiscover>`,
		`<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress></Request></Autodiscover><Autodiscover/>`,
		`<Autodiscover><Request><EMailAddress><![CDATA[a@b.c]]></EMailAddress></Request></Autodiscover>`,
		strings.Repeat("<Autodiscover>", 20),
		"",
	} {
		f.Add([]byte(seed))
	}
	s := FromListen(host, allOn)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseRequest(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrInvalidAddress) && !errors.Is(err, ErrSchema) {
				t.Fatalf("error %v of no kind", err)
			}
			if len(body) > MaxBodySize && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrBadRequest) {
				t.Fatalf("%d octets: %v", len(body), err)
			}
			return
		}
		if len(body) > MaxBodySize {
			t.Fatalf("a body of %d octets read", len(body))
		}
		if again, err := ParseAddress(req.Address.String()); err != nil || again != req.Address {
			t.Fatalf("address %q does not parse back: %v", req.Address, err)
		}
		if req.Schema != "" && req.Schema != NSOutlook {
			t.Fatalf("schema %q accepted", req.Schema)
		}
		doc, err := s.Autodiscover(req.Address)
		if err != nil {
			t.Fatal(err)
		}
		var d outlookDoc
		if err := xml.Unmarshal(doc, &d); err != nil {
			t.Fatalf("response is not XML: %v\n%s", err, doc)
		}
		for _, p := range d.Response.Account.Protocol {
			if p.LoginName != req.Address.String() {
				t.Fatalf("LoginName %q, want %q", p.LoginName, req.Address.String())
			}
		}
	})
}

// FuzzParseAddress: an address accepted is within the bounds and reaches
// the profile escaped: the profile reads back with it.
func FuzzParseAddress(f *testing.F) {
	for _, seed := range []string{"alice@example.org", `"a b"@example.org`, "a@[192.0.2.1]", "a@b@c", "\x00@x.y", "anna@bücher.example"} {
		f.Add(seed)
	}
	s := FromListen(host, allOn)
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseAddress(in)
		if err != nil {
			return
		}
		if len(in) > MaxAddressLen || a.IsLiteral() || a.Local == "" {
			t.Fatalf("%q accepted as %+v", in, a)
		}
		doc, err := s.MobileConfig(a)
		if err != nil {
			t.Fatal(err)
		}
		checkProfile(t, doc, a.String())
	})
}
