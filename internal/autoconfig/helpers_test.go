package autoconfig

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

var update = flag.Bool("update", false, "write the golden files of testdata")

const host = "mail.example.org"

// allOn has every client listener on, at the well-known ports, and SMTP
// on 25, which clients are never told about.
var allOn = config.Listen{
	SMTP:        []string{":25"},
	Submission:  []string{":587"},
	Submissions: []string{":465"},
	IMAP:        []string{":143"},
	IMAPS:       []string{":993"},
	POP3:        []string{":110"},
	POP3S:       []string{":995"},
}

// someOff has IMAP, POP3 and submissions off, POP3S on a port of its
// own, submission on two addresses, one of them on 587.
var someOff = config.Listen{
	SMTP:       []string{":25"},
	Submission: []string{"192.0.2.10:2587", "[2001:db8::10]:587"},
	IMAPS:      []string{"0.0.0.0:993"},
	POP3S:      []string{"[::]:2995"},
}

// incomingOff has submission only.
var incomingOff = config.Listen{SMTP: []string{":25"}, Submissions: []string{":465"}}

// advert is one endpoint as a document advertises it, in the words the
// tests compare: "IMAP 993 implicit".
type advert string

// wantAllOn and wantSomeOff are the endpoints of allOn and someOff, in
// order of preference: worked out by hand from the listen keys.
var (
	wantAllOn = []advert{
		"IMAP 993 implicit", "IMAP 143 starttls", "POP3 995 implicit", "POP3 110 starttls",
		"SMTP 465 implicit", "SMTP 587 starttls",
	}
	wantSomeOff = []advert{"IMAP 993 implicit", "POP3 2995 implicit", "SMTP 587 starttls"}
)

// domains is a LocalDomains with a fixed set, or an error for all.
type domains struct {
	local map[string]bool
	err   error
	asked []string
}

func (d *domains) IsLocalDomain(_ context.Context, domain string) (bool, error) {
	d.asked = append(d.asked, domain)
	return d.local[domain], d.err
}

// newHandler serves listen on host for example.org and xn--bcher-kva.example
// (bücher.example); logs go to the returned buffer.
// (the tests call it from one goroutine at a time).
func newHandler(t *testing.T, listen config.Listen) (*Handler, *domains, *bytes.Buffer) {
	t.Helper()
	d := &domains{local: map[string]bool{"example.org": true, "xn--bcher-kva.example": true}}
	logs := &bytes.Buffer{}
	return New(FromListen(host, listen), d, slog.New(slog.NewTextHandler(logs, nil))), d, logs
}

// compareGolden compares got with the golden file name of testdata, or
// writes it with -update.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the tests with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var errDirectory = errors.New("database is locked")

func mustAddress(t *testing.T, s string) mailaddr.Address {
	t.Helper()
	a, err := ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
