package rspamd

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Input is the SMTP context of a scanned message, sent as rspamd's
// request headers (rspamd's protocol: IP, Helo, From, Rcpt, ...).
type Input struct {
	ID         string     // Queue-Id: the transaction's ID, for rspamd's log
	ClientIP   netip.Addr // IP; invalid for a local socket (not sent)
	ClientHost string     // Hostname: the verified reverse name, or ""
	Helo       string
	From       string   // envelope sender, "" for <>
	Rcpt       []string // envelope recipients
	User       string   // the authenticated account (submission), or ""
	// DeliverTo names the Bayes user of a per-user classifier: the
	// account of the one recipient, "" when there are several.
	DeliverTo string
	TLS       *tls.ConnectionState // nil without TLS
}

// Result is rspamd's answer to /checkv2 (the fields Petrel uses).
type Result struct {
	Score    float64           `json:"score"`
	Required float64           `json:"required_score"`
	Action   string            `json:"action"`
	Skipped  bool              `json:"is_skipped"`
	Symbols  map[string]Symbol `json:"symbols"`
}

// Symbol is one rule that matched.
type Symbol struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// client talks HTTP to rspamd.
type client struct {
	check, controller string // base URLs of the normal worker and the controller
	password          string
	http              *http.Client
}

// errStatus is an HTTP answer other than 200 from rspamd.
type errStatus struct {
	code int
	body string
}

func (e *errStatus) Error() string {
	return fmt.Sprintf("rspamd: HTTP %d: %s", e.code, e.body)
}

// post sends body (size octets) to url with the headers h and returns
// the answer's body (at most 1 MiB read) for a 2xx status.
func (c *client) post(ctx context.Context, url string, h http.Header, body io.Reader, size int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	req.Header = h
	if c.password != "" {
		req.Header.Set("Password", c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return out, &errStatus{code: resp.StatusCode, body: strings.TrimSpace(string(out))}
	}
	return out, nil
}

// Check scans one message of size octets (POST /checkv2).
func (c *client) Check(ctx context.Context, in Input, msg io.Reader, size int64) (Result, error) {
	out, err := c.post(ctx, c.check+"/checkv2", in.headers(), msg, size)
	if err != nil {
		return Result{}, err
	}
	var r Result
	if err := json.Unmarshal(out, &r); err != nil {
		return Result{}, fmt.Errorf("rspamd: decoding the answer: %w", err)
	}
	if r.Action == "" {
		return Result{}, errors.New("rspamd: answer without an action")
	}
	return r, nil
}

// headers are the request headers of rspamd's protocol for in.
func (in Input) headers() http.Header {
	h := http.Header{}
	set := func(k, v string) {
		if v = strings.Map(headerSafe, v); v != "" {
			h.Set(k, v)
		}
	}
	if in.ClientIP.IsValid() {
		h.Set("IP", in.ClientIP.Unmap().String())
	}
	set("Hostname", in.ClientHost)
	set("Helo", in.Helo)
	set("Queue-Id", in.ID)
	set("User", in.User)
	set("Deliver-To", in.DeliverTo)
	if in.From != "" {
		set("From", in.From)
	}
	for _, r := range in.Rcpt {
		if r = strings.Map(headerSafe, r); r != "" {
			h.Add("Rcpt", r)
		}
	}
	if in.TLS != nil {
		h.Set("TLS-Version", tls.VersionName(in.TLS.Version))
		h.Set("TLS-Cipher", tls.CipherSuiteName(in.TLS.CipherSuite))
	}
	return h
}

// headerSafe drops the characters that cannot go in an HTTP header
// value (a client's HELO is not to be trusted).
func headerSafe(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}

// Learn teaches rspamd's classifier that msg is spam or ham (POST
// /learnspam or /learnham on the controller), for the Bayes user
// deliverTo. A message rspamd has learned that way already is not an
// error.
func (c *client) Learn(ctx context.Context, spam bool, deliverTo string, msg io.Reader, size int64) error {
	path := "/learnham"
	if spam {
		path = "/learnspam"
	}
	h := http.Header{}
	if deliverTo = strings.Map(headerSafe, deliverTo); deliverTo != "" {
		h.Set("Deliver-To", deliverTo)
	}
	_, err := c.post(ctx, c.controller+path, h, msg, size)
	var st *errStatus
	if errors.As(err, &st) && strings.Contains(st.body, "already learned") {
		return nil
	}
	return err
}

// newHTTPClient keeps up to maxConns connections to rspamd, idle ones
// open for reuse.
func newHTTPClient(maxConns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: maxConns,
		MaxConnsPerHost:     maxConns,
		IdleConnTimeout:     90 * time.Second,
	}}
}
