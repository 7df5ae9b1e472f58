package webapi

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/authguard"
)

// A web page must not be able to drive the API with an admin's
// credentials (a browser sends kept Basic credentials, and a token the
// page cannot read, with a cross-site form): a form-encodable body is
// refused (415), and so is any state-changing request a browser marks as
// cross-site (403); nothing changes. A 401 asks for a Bearer token only,
// so that a browser never prompts for Basic credentials.
func TestCrossSiteRefused(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	post := func(body, contentType string, header map[string]string) (int, string) {
		req, err := http.NewRequest("POST", f.srv.URL+"/api/v1/domains", strings.NewReader(body))
		must(t, err)
		req.Header.Set("Authorization", f.rw)
		req.Header.Set("Content-Type", contentType)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := f.srv.Client().Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// What a <form enctype="text/plain"> whose field name is JSON sends.
	if code, body := post(`{"domain":"evil1.example","x":"=y"}`, "text/plain", nil); code != 415 {
		t.Errorf("text/plain body: %d %s, want 415", code, body)
	}
	if code, body := post(`{"domain":"evil2.example"}`, "application/json",
		map[string]string{"Sec-Fetch-Site": "cross-site"}); code != 403 || !strings.Contains(body, "cross-origin") {
		t.Errorf("cross-site request: %d %s, want 403", code, body)
	}
	if code, body := post(`{"domain":"evil3.example"}`, "application/json",
		map[string]string{"Origin": "https://evil.example"}); code != 403 {
		t.Errorf("request from another origin: %d %s, want 403", code, body)
	}
	r := f.want("list", f.do("GET", "/api/v1/domains", f.rw, nil), 200)
	if strings.Contains(r.raw, "evil") {
		t.Errorf("a refused request changed the domains: %s", r.raw)
	}
	// A same-origin browser request and a non-browser client still work.
	if code, body := post(`{"domain":"fine.example"}`, "application/json",
		map[string]string{"Sec-Fetch-Site": "same-origin"}); code != 201 {
		t.Errorf("same-origin request: %d %s, want 201", code, body)
	}
	r = f.do("GET", "/api/v1/domains", "", nil)
	if ch := r.header.Get("WWW-Authenticate"); r.status != 401 || strings.Contains(ch, "Basic") {
		t.Errorf("401 challenge %q (status %d): want Bearer only", ch, r.status)
	}
}
