package certs

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Reloader serves the operator's certificate ([tls] cert and key) to TLS
// handshakes and replaces it when the files change (README "TLS
// certificates"). Connections already established keep the certificate they
// were made with; new handshakes get the new one.
type Reloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]

	mu    sync.Mutex // serialises Reload and guards stamp
	stamp string     // the files' modification times and sizes at the last load attempt
}

// NewReloader loads the pair once; it fails when the files are unusable.
func NewReloader(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is tls.Config.GetCertificate: the current certificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Reload reads the files again. On error the current certificate stays.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stamp = r.fileStamp()
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls.cert/tls.key: %w", err)
	}
	r.cur.Store(&pair)
	return nil
}

// ReloadIfChanged reloads when the files' modification time or size differ
// from the last attempt; changed reports whether it tried.
func (r *Reloader) ReloadIfChanged() (changed bool, err error) {
	r.mu.Lock()
	same := r.fileStamp() == r.stamp
	r.mu.Unlock()
	if same {
		return false, nil
	}
	return true, r.Reload()
}

func (r *Reloader) fileStamp() string {
	var s string
	for _, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			s += "missing;"
			continue
		}
		s += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return s
}

// Watch reloads on each value of hup (SIGHUP) and when the files change
// (checked every interval), until ctx ends. report gets the outcome of
// each attempt: nil for a new certificate in use, else the error (the old
// certificate stays).
func (r *Reloader) Watch(ctx context.Context, interval time.Duration, hup <-chan struct{}, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			report(r.Reload())
		case <-t.C:
			if changed, err := r.ReloadIfChanged(); changed {
				report(err)
			}
		}
	}
}
