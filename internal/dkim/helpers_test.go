package dkim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/store"
)

// testMessage is a message from `from` of about size octets, CRLF line
// ends, with a folded Subject and trailing white space in the body (which
// relaxed canonicalisation must handle).
func testMessage(from string, size int) string {
	var b strings.Builder
	b.WriteString("From: Alice <" + from + ">\r\n")
	b.WriteString("To: bob@remote.example\r\n")
	b.WriteString("Subject: a test message\r\n with a folded subject\r\n")
	b.WriteString("Date: Sat, 14 Mar 2026 15:09:26 +0000\r\n")
	b.WriteString("Message-ID: <1234@example.org>\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("X-Unsigned: yes\r\n")
	b.WriteString("\r\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "Line %d of the body, with some text to fill it up.  \r\n", i)
	}
	return b.String()
}

// dnsWithKeys starts a DNS server that publishes the keys' records and
// returns a resolver asking it.
func dnsWithKeys(t *testing.T, keys ...*Key) (*dnstest.Server, dnsr.Resolver) {
	t.Helper()
	srv := dnstest.Start(t)
	for _, k := range keys {
		srv.Add(t, k.ZoneRecord())
	}
	return srv, dnsr.New([]string{srv.Addr}, 300*time.Millisecond)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// mustSign signs msg with the keys of dir.
func mustSign(t *testing.T, dir KeyStore, msg string) string {
	t.Helper()
	sig, err := NewSigner(dir, discardLogger()).Sign(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// verify verifies msg and returns its results.
func verify(t *testing.T, r TXTResolver, msg string, max int) []Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := Verify(ctx, r, strings.NewReader(msg), max)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// statuses lists the results' statuses, space-separated.
func statuses(res []Result) string {
	var s []string
	for _, r := range res {
		s = append(s, r.Status)
	}
	return strings.Join(s, " ")
}

// sigFields splits the DKIM-Signature fields Sign returned.
func sigFields(t *testing.T, sig string) []map[string]string {
	t.Helper()
	if sig != "" && !strings.HasSuffix(sig, "\r\n") {
		t.Fatalf("signature not CRLF-terminated: %q", sig)
	}
	var out []map[string]string
	for _, f := range strings.Split(sig, "\r\nDKIM-Signature:") {
		f = strings.TrimPrefix(f, "DKIM-Signature:")
		for line := range strings.SplitSeq(strings.TrimSuffix(f, "\r\n"), "\r\n") {
			// go-msgauth folds at tags, not inside h=; RFC 5322 §2.1.1.
			if len(line) > 998 {
				t.Errorf("line of %d octets in the signature: %q", len(line), line)
			}
		}
		out = append(out, tags(f))
	}
	return out
}

var ctxb = context.Background()

// memKeys is a KeyStore in memory, with the error kinds of the store.
type memKeys struct {
	mu sync.Mutex
	m  map[string]memValue
}

type memValue struct {
	data []byte
	mod  time.Time
}

func newKeys() *memKeys { return &memKeys{m: map[string]memValue{}} }

func (k *memKeys) KVCreate(_ context.Context, key string, value []byte) error {
	if err := store.CheckKey("kv create", key); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[key]; ok {
		return store.Errorf(store.KindExists, "kv create", "%s", key)
	}
	k.m[key] = memValue{bytes.Clone(value), time.Now()}
	return nil
}

func (k *memKeys) KVLoad(_ context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return nil, store.Errorf(store.KindNotFound, "kv load", "%s", key)
	}
	return bytes.Clone(v.data), nil
}

func (k *memKeys) KVDelete(_ context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[key]; !ok {
		return store.Errorf(store.KindNotFound, "kv delete", "%s", key)
	}
	delete(k.m, key)
	return nil
}

func (k *memKeys) KVList(_ context.Context, prefix string) ([]store.KeyInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []store.KeyInfo
	for key, v := range k.m {
		if strings.HasPrefix(key, prefix) {
			out = append(out, store.KeyInfo{Key: key, Modified: v.mod, Size: int64(len(v.data))})
		}
	}
	slices.SortFunc(out, func(a, b store.KeyInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// put stores a value as it is (not through Generate).
func (k *memKeys) put(key, value string, mod time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = memValue{[]byte(value), mod}
}
