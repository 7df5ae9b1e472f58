package autoconfig

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// outlookRequest is an autodiscover request as Outlook sends it.
func outlookRequest(email, schema string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="` + nsRequest + `">
  <Request>
    <EMailAddress>` + email + `</EMailAddress>
    <AcceptableResponseSchema>` + schema + `</AcceptableResponseSchema>
  </Request>
</Autodiscover>`
}

// do runs one request through h; host is the Host header.
func do(h http.Handler, method, host, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = host
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestThunderbirdHandler(t *testing.T) {
	h, d, _ := newHandler(t, someOff)
	want, _ := h.srv.Thunderbird("example.org")
	for _, c := range []struct{ host, target string }{
		{"autoconfig.example.org", "/mail/config-v1.1.xml?emailaddress=alice%40example.org"},
		{"autoconfig.example.org", "/mail/config-v1.1.xml"},             // domain from the Host
		{"autoconfig.EXAMPLE.org:443", "/Mail/Config-v1.1.xml"},         // any case, with a port
		{"example.org", "/.well-known/autoconfig/mail/config-v1.1.xml"}, // on the domain itself
		{"mail.example.org", "/mail/config-v1.1.xml?emailaddress=Alice%40Example.ORG"},
	} {
		w := do(h, "GET", c.host, c.target, "")
		if w.Code != 200 || w.Body.String() != string(want) || w.Header().Get("Content-Type") != "application/xml; charset=utf-8" {
			t.Errorf("%s %s: %d %q\n%s", c.host, c.target, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
	if !slices.Equal(d.asked, []string{"example.org", "example.org", "example.org", "example.org", "example.org"}) {
		t.Errorf("domains asked: %q", d.asked)
	}
	checkRefusals(t, h, d, []refusal{
		{"POST", "autoconfig.example.org", "/mail/config-v1.1.xml", 405, "use GET"},
		{"GET", "autoconfig.example.org", "/mail/config-v1.1.xml?emailaddress=alice", 400, "not an email address"},
		{"GET", "autoconfig.example.org", "/mail/config-v1.1.xml?emailaddress=" + strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 130) + "org", 400, "not an email address"},
		{"GET", "autoconfig.example.org", "/mail/config-v1.1.xml?emailaddress=alice%40%5B192.0.2.1%5D", 400, "not an email address"},
		{"GET", "autoconfig.other.example", "/mail/config-v1.1.xml", 404, "not a domain of this server"},
		{"GET", "192.0.2.1", "/mail/config-v1.1.xml?emailaddress=alice%40other.example", 404, "not a domain of this server"},
		{"GET", "[::1]:443", "/mail/config-v1.1.xml", 400, "no domain"},
	})
	// Nothing incoming on: nothing to tell Thunderbird.
	h, _, _ = newHandler(t, incomingOff)
	if w := do(h, "GET", "autoconfig.example.org", "/mail/config-v1.1.xml", ""); w.Code != 404 {
		t.Errorf("incoming off: %d %s", w.Code, w.Body)
	}
}

// refusal is a request and the status and text of its refusal.
type refusal struct {
	method, host, target string
	code                 int
	text                 string
}

func checkRefusals(t *testing.T, h http.Handler, d *domains, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		body := ""
		if c.method == "POST" {
			body = outlookRequest("alice@example.org", NSOutlook)
		}
		w := do(h, c.method, c.host, c.target, body)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.text) {
			t.Errorf("%s %s %s: %d %q, want %d with %q", c.method, c.host, c.target, w.Code, w.Body, c.code, c.text)
		}
		if w.Code == 405 && w.Header().Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.target)
		}
	}
}

// The directory failing is a 503 whose log names the domain, not the
// address asked about.
func TestDirectoryDown(t *testing.T) {
	h, d, logs := newHandler(t, allOn)
	d.err = errDirectory
	for _, c := range []struct{ method, target, body string }{
		{"GET", "/mail/config-v1.1.xml?emailaddress=alice%40example.org", ""},
		{"POST", "/autodiscover/autodiscover.xml", outlookRequest("alice@example.org", NSOutlook)},
		{"GET", "/autodiscover/autodiscover.json/v1.0/alice@example.org?Protocol=AutodiscoverV1", ""},
		{"GET", "/apple/mail.mobileconfig?emailaddress=alice%40example.org", ""},
	} {
		w := do(h, c.method, "example.org", c.target, c.body)
		if w.Code != 503 || strings.Contains(w.Body.String(), errDirectory.Error()) {
			t.Errorf("%s %s: %d %s; want 503 without the error's text", c.method, c.target, w.Code, w.Body)
		}
	}
	if !strings.Contains(logs.String(), "domain=example.org") || strings.Contains(logs.String(), "alice") {
		t.Errorf("log: %s", logs)
	}
}

func TestAutodiscoverHandler(t *testing.T) {
	h, _, _ := newHandler(t, someOff)
	want, _ := h.srv.Autodiscover(mustAddress(t, "alice@example.org"))
	for _, target := range []string{"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"} {
		w := do(h, "POST", "autodiscover.example.org", target, outlookRequest("alice@example.org", NSOutlook))
		if w.Code != 200 || w.Body.String() != string(want) || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml") {
			t.Errorf("%s: %d\n%s", target, w.Code, w.Body)
		}
	}
	// Without a schema (Thunderbird's request has one; others may not).
	body := `<Autodiscover><Request><EMailAddress>alice@example.org</EMailAddress></Request></Autodiscover>`
	if w := do(h, "POST", "example.org", "/autodiscover/autodiscover.xml", body); w.Code != 200 {
		t.Errorf("no schema: %d %s", w.Code, w.Body)
	}
	for _, c := range []struct {
		name, method, body string
		status, code       int
	}{
		{"GET", "GET", "", 405, adInvalid},
		{"not XML", "POST", "EMailAddress=alice@example.org", 400, adInvalid},
		{"no address", "POST", outlookRequest("", NSOutlook), 400, adInvalid},
		{"bad address", "POST", outlookRequest("alice@@example.org", NSOutlook), 400, adInvalid},
		{"ActiveSync", "POST", outlookRequest("alice@example.org", "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"), 400, adNoSuchSchema},
		{"other domain", "POST", outlookRequest("alice@other.example", NSOutlook), 404, adNotFound},
		{"too large", "POST", outlookRequest("alice@example.org", NSOutlook) + "<!--" + strings.Repeat("x", MaxBodySize) + "-->", 413, adInvalid},
		{"entities", "POST", `<!DOCTYPE a [<!ENTITY e "alice@example.org">]><Autodiscover><Request><EMailAddress>&e;</EMailAddress></Request></Autodiscover>`, 400, adInvalid},
	} {
		w := do(h, c.method, "example.org", "/autodiscover/autodiscover.xml", c.body)
		var d outlookDoc
		err := xml.Unmarshal(w.Body.Bytes(), &d)
		if w.Code != c.status || err != nil || d.Response.Error == nil || d.Response.Error.ErrorCode != c.code || d.XMLName.Space != nsResponse {
			t.Errorf("%s: %d %v\n%s; want %d with error code %d", c.name, w.Code, err, w.Body, c.status, c.code)
		}
	}
}

func TestAutodiscoverJSON(t *testing.T) {
	h, _, _ := newHandler(t, someOff)
	for _, target := range []string{
		"/autodiscover/autodiscover.json/v1.0/alice@example.org?Protocol=AutodiscoverV1",
		"/autodiscover/autodiscover.json?Email=alice%40example.org&Protocol=AutodiscoverV1&RedirectCount=1",
		"/Autodiscover/Autodiscover.json?email=alice%40example.org&protocol=autodiscoverv1",
	} {
		w := do(h, "GET", "autodiscover.example.org", target, "")
		var got struct{ Protocol, Url string }
		err := json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != 200 || err != nil || got.Protocol != "AutodiscoverV1" || got.Url != "https://mail.example.org/autodiscover/autodiscover.xml" ||
			w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
	for _, c := range []struct {
		target string
		status int
		code   string
	}{
		{"/autodiscover/autodiscover.json/v1.0/alice@example.org?Protocol=ActiveSync", 400, "InvalidProtocol"},
		{"/autodiscover/autodiscover.json/v1.0/alice@example.org", 400, "InvalidProtocol"},
		{"/autodiscover/autodiscover.json/v1.0/alice?Protocol=AutodiscoverV1", 400, "InvalidEmail"},
		{"/autodiscover/autodiscover.json?Protocol=AutodiscoverV1", 400, "InvalidEmail"},
		{"/autodiscover/autodiscover.json/v1.0/alice@other.example?Protocol=AutodiscoverV1", 404, "InvalidUser"},
	} {
		w := do(h, "GET", "autodiscover.example.org", c.target, "")
		var got struct{ ErrorCode, ErrorMessage string }
		err := json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != c.status || err != nil || got.ErrorCode != c.code || got.ErrorMessage == "" {
			t.Errorf("%s: %d %s; want %d %s", c.target, w.Code, w.Body, c.status, c.code)
		}
	}
	if w := do(h, "POST", "example.org", "/autodiscover/autodiscover.json?Email=alice%40example.org&Protocol=AutodiscoverV1", ""); w.Code != 405 {
		t.Errorf("POST: %d", w.Code)
	}
}

func TestMobileConfigHandler(t *testing.T) {
	h, d, _ := newHandler(t, allOn)
	w := do(h, "GET", "mail.example.org", "/apple/mail.mobileconfig?emailaddress=alice%40example.org", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != ContentTypeProfile ||
		w.Header().Get("Content-Disposition") != `attachment; filename="mail-example.org.mobileconfig"` {
		t.Fatalf("%d %v\n%s", w.Code, w.Header(), w.Body)
	}
	checkProfile(t, w.Body.Bytes(), "alice@example.org")
	// An IDN address: the file name is in A-labels.
	w = do(h, "GET", "mail.example.org", "/apple/mail.mobileconfig?emailaddress="+url.QueryEscape("anna@bücher.example"), "")
	if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Disposition"), `"mail-xn--bcher-kva.example.mobileconfig"`) {
		t.Errorf("IDN: %d %v", w.Code, w.Header())
	}
	checkRefusals(t, h, d, []refusal{
		{"GET", "mail.example.org", "/apple/mail.mobileconfig", 400, "not an email address"},
		{"GET", "mail.example.org", "/apple/mail.mobileconfig?emailaddress=a%0d%0aX-Evil:%201%40example.org", 400, "not an email address"},
		// A quoted local part would put the requester's words in the
		// profile's title, served under the server's name.
		{"GET", "mail.example.org", "/apple/mail.mobileconfig?emailaddress=" + url.QueryEscape(`"Your mailbox is suspended. Call +1 555 0100"@example.org`), 400, "not an email address"},
		{"GET", "mail.example.org", "/apple/mail.mobileconfig?emailaddress=alice%40other.example", 404, "not a domain"},
		{"POST", "mail.example.org", "/apple/mail.mobileconfig?emailaddress=alice%40example.org", 405, "use GET"},
	})
	h, _, _ = newHandler(t, incomingOff)
	if w := do(h, "GET", "mail.example.org", "/apple/mail.mobileconfig?emailaddress=alice%40example.org", ""); w.Code != 404 {
		t.Errorf("incoming off: %d", w.Code)
	}
}

// Wrap serves the handler's paths and passes the rest on; ServeHTTP alone
// answers 404 to the rest.
func TestWrap(t *testing.T) {
	h, _, _ := newHandler(t, allOn)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "next") })
	wrapped := h.Wrap(next)
	for path, mine := range map[string]bool{
		"/mail/config-v1.1.xml": true, "/.well-known/autoconfig/mail/config-v1.1.xml": true,
		"/AUTODISCOVER/autodiscover.xml": true, "/autodiscover/autodiscover.json/v1.0/a@example.org": true,
		"/apple/mail.mobileconfig": true, "/": false, "/api/v1/domains": false,
		"/mail/config-v1.1.xml/x": false, "/autodiscover/autodiscover.jsonx": false,
	} {
		if h.Serves(path) != mine {
			t.Errorf("Serves(%q) = %v", path, !mine)
		}
		w := do(wrapped, "GET", "example.org", path, "")
		if (w.Body.String() == "next") == mine {
			t.Errorf("%s: wrapped answer %d %q", path, w.Code, w.Body)
		}
		if !mine {
			if w := do(h, "GET", "example.org", path, ""); w.Code != 404 {
				t.Errorf("%s: %d from the handler alone", path, w.Code)
			}
		}
	}
}

// The documents over a real HTTPS server on 127.0.0.1, as a client
// fetches them.
func TestOverHTTPS(t *testing.T) {
	h, _, _ := newHandler(t, someOff)
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	c := srv.Client()
	resp, err := c.Get(srv.URL + "/mail/config-v1.1.xml?emailaddress=alice%40example.org")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if got := checkThunderbird(t, body, "example.org"); !slices.Equal(got, wantSomeOff) {
		t.Errorf("over HTTPS Thunderbird is told %q", got)
	}
	resp, err = c.Post(srv.URL+"/autodiscover/autodiscover.xml", "text/xml", strings.NewReader(outlookRequest("alice@example.org", NSOutlook)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := checkOutlook(t, body, "alice@example.org"); !slices.Equal(got, wantSomeOff) {
		t.Errorf("over HTTPS Outlook is told %q", got)
	}
}
