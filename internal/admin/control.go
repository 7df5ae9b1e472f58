package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ControlSocketName is the control socket's file name in the data
// directory. Only the owner of the data directory can connect (mode 0600):
// the file permissions are the authentication.
const ControlSocketName = "control.sock"

// ControlOptions are the operations the control socket serves to the CLI
// of the same machine (docs/configuration.md §Login throttling).
type ControlOptions struct {
	// Unlock forgets the failed logins of an account; it reports whether
	// there was anything to forget.
	Unlock func(account string) bool
	// UnblockClient forgets the failed logins and the block of a client
	// address.
	UnblockClient func(ip netip.Addr) bool
}

// UnlockResult is the answer to POST /v1/unlock.
type UnlockResult struct {
	Account bool `json:"account"` // the account had state to forget
	Client  bool `json:"client"`  // the client had state to forget
}

// ControlHandler serves POST /v1/unlock with the form fields account and
// (optionally) client.
func ControlHandler(o ControlOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/unlock", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		account, client := r.PostFormValue("account"), r.PostFormValue("client")
		if account == "" && client == "" {
			http.Error(w, "account or client required", http.StatusBadRequest)
			return
		}
		var res UnlockResult
		if client != "" {
			ip, err := netip.ParseAddr(client)
			if err != nil {
				http.Error(w, "client: not an IP address", http.StatusBadRequest)
				return
			}
			res.Client = o.UnblockClient(ip)
		}
		if account != "" {
			res.Account = o.Unlock(account)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(res)
	})
	return mux
}

// ListenControl creates the control socket in dataDir, replacing a stale
// one, readable and writable by the owner only.
func ListenControl(dataDir string) (net.Listener, error) {
	path := filepath.Join(dataDir, ControlSocketName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// ErrNoServer: nothing listens on the control socket.
var ErrNoServer = errors.New("no running server answers on the control socket")

// Unlock asks the server running on dataDir to forget the failed logins
// of account and/or client (either may be empty).
func Unlock(ctx context.Context, dataDir, account, client string) (UnlockResult, error) {
	path := filepath.Join(dataDir, ControlSocketName)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}}
	form := url.Values{}
	if account != "" {
		form.Set("account", account)
	}
	if client != "" {
		form.Set("client", client)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", "http://petrel/v1/unlock", strings.NewReader(form.Encode()))
	if err != nil {
		return UnlockResult{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return UnlockResult{}, fmt.Errorf("%w (%s)", ErrNoServer, path)
		}
		return UnlockResult{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return UnlockResult{}, fmt.Errorf("the server refused: %s", strings.TrimSpace(string(body)))
	}
	var res UnlockResult
	if err := json.Unmarshal(body, &res); err != nil {
		return UnlockResult{}, fmt.Errorf("the server's answer: %w", err)
	}
	return res, nil
}
