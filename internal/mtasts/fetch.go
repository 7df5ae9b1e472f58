package mtasts

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// DefaultFetchTimeout bounds a policy fetch when the Fetcher sets none.
const DefaultFetchTimeout = time.Minute

// WellKnownPath is where a policy lives on its host (RFC 8461 §3.2).
const WellKnownPath = "/.well-known/mta-sts.txt"

// PolicyURL is the URL of domain's policy (RFC 8461 §3.2).
func PolicyURL(domain string) string { return "https://mta-sts." + domain + WellKnownPath }

// Fetcher fetches policy files over HTTPS (RFC 8461 §3.3).
type Fetcher struct {
	// Client makes the requests; nil is http.DefaultClient. Its
	// transport's TLS configuration decides which CAs are trusted (the
	// system's by default: WebPKI, as §3.3 requires; tests give their
	// own). Its redirect policy is replaced: none are followed.
	Client *http.Client
	// Timeout bounds a fetch, connection to end of body (0 =
	// DefaultFetchTimeout).
	Timeout time.Duration
}

// Fetch fetches and parses domain's policy from PolicyURL(domain) under
// the rules of RFC 8461 §3.3: the certificate valid for mta-sts.DOMAIN
// (the client verifies it), no redirects, status 200 only, media type
// text/plain, at most MaxPolicySize octets, within the timeout. Errors
// are *Error with their RFC 8460 result type.
func (f *Fetcher) Fetch(ctx context.Context, domain string) (Policy, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := http.Client{Transport: http.DefaultTransport}
	if f.Client != nil {
		client = *f.Client
	}
	// §3.3: "Senders MUST NOT follow HTTP redirects": a 3xx is the answer,
	// and not 200.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, PolicyURL(domain), nil)
	if err != nil {
		return Policy{}, &Error{Domain: domain, Result: ResultFetchError, Err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Policy{}, fetchError(domain, err)
	}
	defer resp.Body.Close()
	// §3.3: only a 200 is a policy; cache headers are ignored.
	if resp.StatusCode != http.StatusOK {
		return Policy{}, fetchError(domain, fmt.Errorf("HTTP status %d, want 200 (redirects are not followed)", resp.StatusCode))
	}
	// §3.3: the media type is "text/plain"; parameters (charset) may
	// follow.
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return Policy{}, fetchError(domain, fmt.Errorf("content type %q, want text/plain", resp.Header.Get("Content-Type")))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		return Policy{}, fetchError(domain, fmt.Errorf("reading the policy: %w", err))
	}
	if len(body) > MaxPolicySize {
		return Policy{}, fetchError(domain, fmt.Errorf("policy larger than %d octets", MaxPolicySize))
	}
	p, err := ParsePolicy(string(body))
	if err != nil {
		return Policy{}, &Error{Domain: domain, Result: ResultPolicyInvalid, Err: err}
	}
	return p, nil
}
