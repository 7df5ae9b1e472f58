package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/testkit"
)

// postgresDatabase creates an empty database on the server that
// PETREL_TEST_POSTGRES names (skipping without one), dropped at the
// test's end, and returns its URL.
func postgresDatabase(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("PETREL_TEST_POSTGRES")
	if admin == "" {
		t.Skip("PETREL_TEST_POSTGRES is not set: no PostgreSQL server to test against")
	}
	ctx := context.Background()
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "petrel_test_cli_" + hex.EncodeToString(rnd[:])
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestOpenStorePostgres: storage.driver "postgres" opens the database of
// storage.dsn, and data written through one opening is there in the
// next.
func TestOpenStorePostgres(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Storage.Driver, cfg.Storage.DSN = "postgres", postgresDatabase(t)
	log := slog.New(slog.DiscardHandler)
	for i, server := range []bool{true, false} {
		st, err := openStore(ctx, cfg, log, nil, server)
		if err != nil {
			t.Fatalf("openStore(postgres): %v", err)
		}
		if i == 0 {
			err = st.AddDomain(ctx, "example.org")
		} else if ok, herr := st.HasDomain(ctx, "example.org"); !ok || herr != nil {
			t.Errorf("the domain added through the first opening is missing: %v, %v", ok, herr)
		}
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestServePostgres: `petrel serve` on PostgreSQL, set up with the
// administration commands: a message sent over SMTP wakes an IMAP client
// in IDLE within a second and reads back as it was sent.
func TestServePostgres(t *testing.T) {
	smtpAddr, imapAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = []\nsmtp = [%q]\nsubmission = []\nsubmissions = []\n"+
		"imap = [%q]\nimaps = []\npop3 = []\npop3s = []\n[tls]\nallow_insecure_auth = true\n"+
		"[smtp]\nverify_senders = false\n[storage]\ndriver = \"postgres\"\ndsn = %q\n",
		smtpAddr, imapAddr, postgresDatabase(t)))
	e.ok("", "domain", "add", "example.org")
	e.ok("secret-pw\n", "user", "add", "bob@example.org", "--password-stdin")
	serveInBackground(t, e)

	msg := "From: a@example.net\r\nTo: bob@example.org\r\nSubject: on postgres\r\n\r\nhello from PostgreSQL\r\n"
	c := smtpWakesIdle(t, smtpAddr, imapAddr, msg)
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("FETCH: %v, %d messages", err, len(msgs))
	}
	var body []byte
	for _, b := range msgs[0].BodySection {
		body = b.Bytes
	}
	if !strings.HasSuffix(string(body), msg) {
		t.Errorf("fetched body %q does not end with the message sent", body)
	}
}

// smtpWakesIdle logs in to the IMAP server at imapAddr as bob@example.org
// (password secret-pw), IDLEs on INBOX, sends msg to bob over SMTP at
// smtpAddr, and fails the test unless EXISTS 1 comes within a second. It
// returns the client, out of IDLE, closed at the test's end.
func smtpWakesIdle(t *testing.T, smtpAddr, imapAddr, msg string) *imapclient.Client {
	t.Helper()
	exists := make(chan uint32, 8)
	c, err := imapclient.DialInsecure(imapAddr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("bob@example.org", "secret-pw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	if err := e2eSend(smtpAddr, "client.example.net", "a@example.net", []string{"bob@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("EXISTS %d", n)
		}
	case <-time.After(time.Second):
		t.Fatal("IDLE did not report the SMTP delivery within 1s")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}
