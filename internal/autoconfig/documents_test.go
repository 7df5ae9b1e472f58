package autoconfig

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// The configurations of the document tests, with the endpoints each must
// advertise, no more.
var docCases = []struct {
	name    string
	listen  config.Listen
	want    []advert
	profile []advert // the endpoints of the Apple profile
}{
	{"all-on", allOn, wantAllOn, []advert{"IMAP 993 implicit", "SMTP 465 implicit"}},
	{"some-off", someOff, wantSomeOff, []advert{"IMAP 993 implicit", "SMTP 587 starttls"}},
}

func TestFromListen(t *testing.T) {
	for _, c := range docCases {
		s := FromListen("Mail.Example.org.", c.listen)
		if s.Hostname != host {
			t.Errorf("%s: host name %q, want %q", c.name, s.Hostname, host)
		}
		var got []advert
		for _, ep := range append(s.Incoming, s.Outgoing...) {
			got = append(got, advertOf(ep.Protocol.String(), int(ep.Port), ep.Security == ImplicitTLS))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: endpoints %q, want %q", c.name, got, c.want)
		}
	}
	if s := FromListen(host, config.Listen{SMTP: []string{":25"}}); len(s.Incoming)+len(s.Outgoing) != 0 {
		t.Errorf("SMTP only: clients are told of %+v", s)
	}
}

func advertOf(proto string, port int, implicit bool) advert {
	mode := "starttls"
	if implicit {
		mode = "implicit"
	}
	return advert(fmt.Sprintf("%s %d %s", proto, port, mode))
}

// tbDoc is the clientConfig document as Thunderbird reads it (its ISP
// database format, version 1.1).
type tbDoc struct {
	XMLName  xml.Name `xml:"clientConfig"`
	Version  string   `xml:"version,attr"`
	Provider []struct {
		ID       string     `xml:"id,attr"`
		Domain   []string   `xml:"domain"`
		Display  string     `xml:"displayName"`
		Short    string     `xml:"displayShortName"`
		Incoming []tbServer `xml:"incomingServer"`
		Outgoing []tbServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

// Thunderbird's enumerations of socketType and authentication; the
// server must never be "plain".
var (
	tbSocketTypes = []string{"SSL", "STARTTLS"}
	tbAuth        = []string{"password-cleartext", "plain", "password-encrypted", "secure", "GSSAPI", "NTLM", "OAuth2", "TLS-client-cert", "none"}
)

// checkThunderbird checks doc as Thunderbird's reader does and returns
// what it advertises.
func checkThunderbird(t *testing.T, doc []byte, domain string) []advert {
	t.Helper()
	var d tbDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatalf("not XML: %v\n%s", err, doc)
	}
	if d.Version != "1.1" || len(d.Provider) != 1 {
		t.Fatalf("version %q, %d emailProvider elements; want 1.1 and 1", d.Version, len(d.Provider))
	}
	p := d.Provider[0]
	if p.ID != domain || !slices.Equal(p.Domain, []string{domain}) || p.Display == "" || p.Short == "" {
		t.Errorf("provider id %q, domains %q, names %q %q; want %s", p.ID, p.Domain, p.Display, p.Short, domain)
	}
	if len(p.Incoming) == 0 {
		t.Fatal("no incomingServer: Thunderbird refuses the document")
	}
	var got []advert
	check := func(s tbServer, types ...string) {
		if !slices.Contains(types, s.Type) || s.Hostname != host || s.Port == 0 ||
			!slices.Contains(tbSocketTypes, s.SocketType) || !slices.Contains(tbAuth, s.Authentication) || s.Username != "%EMAILADDRESS%" {
			t.Errorf("server %+v: not one Thunderbird takes as a TLS %q server of %s", s, types, host)
		}
		got = append(got, advertOf(map[string]string{"imap": "IMAP", "pop3": "POP3", "smtp": "SMTP"}[s.Type], int(s.Port), s.SocketType == "SSL"))
	}
	for _, s := range p.Incoming {
		check(s, "imap", "pop3")
	}
	for _, s := range p.Outgoing {
		check(s, "smtp")
	}
	return got
}

// outlookDoc is the autodiscover response as Outlook reads it.
type outlookDoc struct {
	XMLName  xml.Name
	Response struct {
		XMLName xml.Name
		Account struct {
			AccountType, Action string
			Protocol            []struct {
				Type, Server                                                  string
				Port                                                          int
				LoginName, DomainRequired, SPA, SSL, Encryption, AuthRequired string
			}
		}
		Error *struct {
			ErrorCode int
			Message   string
		}
	} `xml:"Response"`
}

// checkOutlook checks an autodiscover response for login and returns what
// it advertises.
func checkOutlook(t *testing.T, doc []byte, login string) []advert {
	t.Helper()
	var d outlookDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatalf("not XML: %v\n%s", err, doc)
	}
	if d.XMLName.Space != nsResponse || d.XMLName.Local != "Autodiscover" || d.Response.XMLName.Space != NSOutlook {
		t.Fatalf("root %v, response %v: not the outlook response schema", d.XMLName, d.Response.XMLName)
	}
	a := d.Response.Account
	if a.AccountType != "email" || a.Action != "settings" || d.Response.Error != nil {
		t.Errorf("account type %q action %q error %v; want email settings", a.AccountType, a.Action, d.Response.Error)
	}
	var got []advert
	for _, p := range a.Protocol {
		if !slices.Contains([]string{"IMAP", "POP3", "SMTP"}, p.Type) || p.Server != host || p.Port <= 0 || p.Port > 65535 ||
			p.LoginName != login || p.SPA != "off" || p.SSL != "on" || p.AuthRequired != "on" || p.DomainRequired != "off" ||
			!slices.Contains([]string{"SSL", "TLS"}, p.Encryption) {
			t.Errorf("protocol %+v: not a TLS mail protocol of %s for %s", p, host, login)
		}
		got = append(got, advertOf(p.Type, p.Port, p.Encryption == "SSL"))
	}
	return got
}

// parsePlist reads a property list strictly: a DOCTYPE, one plist
// version 1.0 holding a dict whose keys and values alternate.
func parsePlist(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(doc)))
	d.Strict = true
	sawDoctype := false
	var next func() (xml.Token, error)
	next = func() (xml.Token, error) {
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, err
			}
			switch tok := tok.(type) {
			case xml.CharData:
				if strings.TrimSpace(string(tok)) != "" {
					return nil, fmt.Errorf("text %q between elements", tok)
				}
				continue
			case xml.ProcInst:
				continue
			case xml.Directive:
				sawDoctype = strings.HasPrefix(string(tok), `DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"`)
				continue
			}
			return xml.CopyToken(tok), nil
		}
	}
	text := func(name string) string {
		var s string
		if err := d.DecodeElement(&s, &xml.StartElement{Name: xml.Name{Local: name}}); err != nil {
			t.Fatalf("<%s>: %v", name, err)
		}
		return s
	}
	// each calls f on every element in the open one, up to its end.
	each := func(f func(xml.StartElement)) {
		for {
			tok, err := next()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tok.(xml.EndElement); ok {
				return
			}
			f(tok.(xml.StartElement))
		}
	}
	var value func(start xml.StartElement) any
	value = func(start xml.StartElement) any {
		switch start.Name.Local {
		case "string":
			return text("string")
		case "integer":
			var n int
			if _, err := fmt.Sscan(text("integer"), &n); err != nil {
				t.Fatalf("integer: %v", err)
			}
			return n
		case "true", "false":
			if tok, err := next(); err != nil || tok != (xml.EndElement{Name: start.Name}) {
				t.Fatalf("<%s/> not empty: %v %v", start.Name.Local, tok, err)
			}
			return start.Name.Local == "true"
		case "array":
			var out []any
			each(func(e xml.StartElement) { out = append(out, value(e)) })
			return out
		case "dict":
			out := map[string]any{}
			each(func(e xml.StartElement) {
				if e.Name.Local != "key" {
					t.Fatalf("%v in a dict where a key belongs", e)
				}
				k := text("key")
				if _, dup := out[k]; dup {
					t.Fatalf("key %q twice", k)
				}
				vt, err := next()
				if err != nil {
					t.Fatal(err)
				}
				out[k] = value(vt.(xml.StartElement))
			})
			return out
		}
		t.Fatalf("<%s> is not a plist value", start.Name.Local)
		return nil
	}
	tok, err := next()
	if err != nil {
		t.Fatal(err)
	}
	root, ok := tok.(xml.StartElement)
	if !ok || root.Name.Local != "plist" || len(root.Attr) != 1 || root.Attr[0].Value != "1.0" || !sawDoctype {
		t.Fatalf("root %v, DOCTYPE seen %v: not a plist 1.0", tok, sawDoctype)
	}
	tok, err = next()
	if err != nil {
		t.Fatal(err)
	}
	top, ok := value(tok.(xml.StartElement)).(map[string]any)
	if !ok {
		t.Fatal("the plist is not a dict")
	}
	if tok, err := next(); err != nil || tok != (xml.EndElement{Name: xml.Name{Local: "plist"}}) {
		t.Fatalf("after the dict: %v %v", tok, err)
	}
	return top
}

var uuidRE = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

// checkProfile checks a configuration profile for email as iOS and macOS
// read it (the Configuration and com.apple.mail.managed payload keys) and
// returns the incoming and outgoing endpoint it names.
func checkProfile(t *testing.T, doc []byte, email string) []advert {
	t.Helper()
	top := parsePlist(t, doc)
	want := func(d map[string]any, key string, v any) {
		t.Helper()
		if d[key] != v {
			t.Errorf("%s = %#v, want %#v", key, d[key], v)
		}
	}
	want(top, "PayloadType", "Configuration")
	want(top, "PayloadVersion", 1)
	want(top, "PayloadRemovalDisallowed", false)
	content, _ := top["PayloadContent"].([]any)
	if len(content) != 1 {
		t.Fatalf("PayloadContent %#v: want one payload", top["PayloadContent"])
	}
	acct := content[0].(map[string]any)
	want(acct, "PayloadType", "com.apple.mail.managed")
	want(acct, "PayloadVersion", 1)
	for _, k := range []string{"EmailAddress", "IncomingMailServerUsername", "OutgoingMailServerUsername"} {
		want(acct, k, email)
	}
	for _, k := range []string{"IncomingMailServerHostName", "OutgoingMailServerHostName"} {
		want(acct, k, host)
	}
	for _, k := range []string{"IncomingMailServerAuthentication", "OutgoingMailServerAuthentication"} {
		want(acct, k, "EmailAuthPassword")
	}
	want(acct, "OutgoingPasswordSameAsIncomingPassword", true)
	for _, d := range []map[string]any{top, acct} {
		id, _ := d["PayloadIdentifier"].(string)
		if !uuidRE.MatchString(fmt.Sprint(d["PayloadUUID"])) || id == "" || strings.ContainsAny(id, "@ \"<>&") {
			t.Errorf("PayloadUUID %v, PayloadIdentifier %q: want an uppercase RFC 9562 UUID and a reverse-DNS identifier", d["PayloadUUID"], id)
		}
	}
	if top["PayloadUUID"] == acct["PayloadUUID"] || top["PayloadIdentifier"] == acct["PayloadIdentifier"] {
		t.Error("the profile and its payload share a UUID or an identifier")
	}
	in := map[string]string{"EmailTypeIMAP": "IMAP", "EmailTypePOP": "POP3"}[fmt.Sprint(acct["EmailAccountType"])]
	if in == "" {
		t.Errorf("EmailAccountType %v", acct["EmailAccountType"])
	}
	port := func(k string) int {
		n, ok := acct[k].(int)
		if !ok || n <= 0 || n > 65535 {
			t.Errorf("%s = %#v, want a port", k, acct[k])
		}
		return n
	}
	ssl := func(k string) bool {
		b, ok := acct[k].(bool)
		if !ok {
			t.Errorf("%s = %#v, want a boolean", k, acct[k])
		}
		return b
	}
	return []advert{
		advertOf(in, port("IncomingMailServerPortNumber"), ssl("IncomingMailServerUseSSL")),
		advertOf("SMTP", port("OutgoingMailServerPortNumber"), ssl("OutgoingMailServerUseSSL")),
	}
}

// Each document of each configuration is its golden file, reads as its
// client reads it, and advertises exactly the endpoints that are on, in
// order of preference (the profile: the first incoming and outgoing one).
func TestDocuments(t *testing.T) {
	addr := mailaddr.Address{Local: "alice", Domain: "example.org"}
	for _, c := range docCases {
		s := FromListen(host, c.listen)
		for _, doc := range []struct {
			file  string
			make  func() ([]byte, error)
			check func([]byte) []advert
			want  []advert
		}{
			{"thunderbird.xml", func() ([]byte, error) { return s.Thunderbird("example.org") },
				func(b []byte) []advert { return checkThunderbird(t, b, "example.org") }, c.want},
			{"autodiscover.xml", func() ([]byte, error) { return s.Autodiscover(addr) },
				func(b []byte) []advert { return checkOutlook(t, b, "alice@example.org") }, c.want},
			{"mobileconfig", func() ([]byte, error) { return s.MobileConfig(addr) },
				func(b []byte) []advert { checkPlistlib(t, b); return checkProfile(t, b, "alice@example.org") }, c.profile},
		} {
			b, err := doc.make()
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, doc.file, err)
			}
			compareGolden(t, c.name+"."+doc.file, b)
			if got := doc.check(b); !slices.Equal(got, doc.want) {
				t.Errorf("%s %s advertises %q, want %q", c.name, doc.file, got, doc.want)
			}
		}
	}
}

// checkPlistlib reads the profile with Python's plistlib, an independent
// reader of Apple's format, when python3 is there.
func checkPlistlib(t *testing.T, doc []byte) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("no python3: profile not read by plistlib")
		return
	}
	cmd := exec.Command(py, "-c", `import plistlib, sys
p = plistlib.loads(sys.stdin.buffer.read(), fmt=plistlib.FMT_XML)
a = p["PayloadContent"][0]
assert p["PayloadType"] == "Configuration" and a["PayloadType"] == "com.apple.mail.managed"
assert isinstance(a["IncomingMailServerPortNumber"], int) and isinstance(a["IncomingMailServerUseSSL"], bool)
print(a["EmailAddress"])`)
	cmd.Stdin = strings.NewReader(string(doc))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("plistlib refuses the profile: %v\n%s", err, out)
	}
}

// With every incoming protocol off, nothing is invented: Thunderbird and
// the profile are not offered, autodiscover names submission only.
func TestIncomingOff(t *testing.T) {
	s := FromListen(host, incomingOff)
	if _, err := s.Thunderbird("example.org"); !errors.Is(err, ErrNotOffered) {
		t.Errorf("Thunderbird: %v, want ErrNotOffered", err)
	}
	addr := mailaddr.Address{Local: "alice", Domain: "example.org"}
	if _, err := s.MobileConfig(addr); !errors.Is(err, ErrNotOffered) {
		t.Errorf("MobileConfig: %v, want ErrNotOffered", err)
	}
	ad, err := s.Autodiscover(addr)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkOutlook(t, ad, "alice@example.org"); !slices.Equal(got, []advert{"SMTP 465 implicit"}) {
		t.Errorf("autodiscover names %q, want submissions only", got)
	}
	if _, err := FromListen(host, config.Listen{}).Autodiscover(addr); !errors.Is(err, ErrNotOffered) {
		t.Errorf("autodiscover with nothing on: %v, want ErrNotOffered", err)
	}
	// Submission off: Thunderbird gets the incoming servers only, a
	// profile (which needs both) none.
	s = FromListen(host, config.Listen{IMAPS: []string{":993"}})
	tb, err := s.Thunderbird("example.org")
	if err != nil {
		t.Fatal(err)
	}
	if got := checkThunderbird(t, tb, "example.org"); !slices.Equal(got, []advert{"IMAP 993 implicit"}) {
		t.Errorf("Thunderbird is told %q", got)
	}
	if _, err := s.MobileConfig(addr); !errors.Is(err, ErrNotOffered) {
		t.Errorf("MobileConfig without submission: %v, want ErrNotOffered", err)
	}
}

// An address with characters XML reserves reaches the documents escaped:
// a reader gets it back whole, and the raw text never appears. (The
// public endpoints refuse such an address, ParseAddress; the documents
// escape whatever they are given.)
func TestEscaping(t *testing.T) {
	addr := mailaddr.Address{Local: `a<b>&c]]>'x`, Domain: "example.org"}
	login := addr.String()
	s := FromListen(host, allOn)
	ad, err := s.Autodiscover(addr)
	if err != nil {
		t.Fatal(err)
	}
	checkOutlook(t, ad, login)
	mc, err := s.MobileConfig(addr)
	if err != nil {
		t.Fatal(err)
	}
	checkProfile(t, mc, login)
	for _, doc := range [][]byte{ad, mc} {
		if strings.Contains(string(doc), "<b>") || strings.Contains(string(doc), "]]>") {
			t.Errorf("raw address text in the document:\n%s", doc)
		}
	}
	// An IDN domain: A-label in the names Thunderbird matches, U-label in
	// what it shows.
	tb, err := s.Thunderbird("xn--bcher-kva.example")
	if err != nil {
		t.Fatal(err)
	}
	checkThunderbird(t, tb, "xn--bcher-kva.example")
	if !strings.Contains(string(tb), "<displayName>bücher.example</displayName>") {
		t.Errorf("display name not in U-labels:\n%s", tb)
	}
}

// The profile's UUIDs are stable for an address and differ between
// addresses, so that installing it again replaces the earlier one.
func TestProfileUUIDs(t *testing.T) {
	s := FromListen(host, allOn)
	a := mailaddr.Address{Local: "alice", Domain: "example.org"}
	b := mailaddr.Address{Local: "bob", Domain: "example.org"}
	p1, _ := s.MobileConfig(a)
	p2, _ := s.MobileConfig(a)
	p3, _ := s.MobileConfig(b)
	if string(p1) != string(p2) {
		t.Error("two profiles of one address differ")
	}
	u1 := parsePlist(t, p1)["PayloadUUID"]
	u3 := parsePlist(t, p3)["PayloadUUID"]
	if u1 == u3 {
		t.Errorf("alice and bob share the profile UUID %v", u1)
	}
}
