package dkim

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignBothAlgorithms(t *testing.T) {
	dir := newKeys()
	oldRSA, _ := Generate(ctxb, dir, "example.org", "", RSA, testNow.AddDate(0, -1, 0))
	rsaKey, err := Generate(ctxb, dir, "example.org", "", RSA, testNow)
	if err != nil {
		t.Fatal(err)
	}
	edKey, err := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	msg := testMessage("alice@example.org", 4096)
	before := time.Now().Unix()
	sig := mustSign(t, dir, msg)
	sigs := sigFields(t, sig)
	if len(sigs) != 2 {
		t.Fatalf("%d signatures, want RSA and Ed25519:\n%s", len(sigs), sig)
	}
	for i, want := range []struct{ a, s string }{{"rsa-sha256", rsaKey.Selector}, {"ed25519-sha256", edKey.Selector}} {
		tg := sigs[i]
		if tg["a"] != want.a || tg["s"] != want.s || tg["d"] != "example.org" || tg["c"] != "relaxed/relaxed" || tg["v"] != "1" {
			t.Errorf("signature %d: %v", i, tg)
		}
		if ts, err := strconv.ParseInt(tg["t"], 10, 64); err != nil || ts < before || ts > time.Now().Unix() {
			t.Errorf("signature %d: t=%q", i, tg["t"])
		}
		if _, ok := tg["l"]; ok {
			t.Errorf("signature %d has l=", i)
		}
		// From over-signed; the singletons present over-signed; an
		// unknown field not signed.
		h := strings.Split(strings.ToLower(tg["h"]), ":")
		for _, f := range []string{"from", "to", "subject", "date", "message-id", "mime-version", "content-type"} {
			if n := count(h, f); n != 2 {
				t.Errorf("h= lists %s %d times, want 2: %s", f, n, tg["h"])
			}
		}
		if slices.Contains(h, "x-unsigned") || slices.Contains(h, "cc") || slices.Contains(h, "dkim-signature") {
			t.Errorf("h= = %s", tg["h"])
		}
	}
	_, r := dnsWithKeys(t, rsaKey, edKey, oldRSA)
	res := verify(t, r, sig+msg, 5)
	if statuses(res) != "pass pass" {
		t.Fatalf("results %+v", res)
	}
	if res[0].Domain != "example.org" || res[0].Selector != rsaKey.Selector || res[0].Algorithm != "rsa-sha256" ||
		res[0].Identifier != "@example.org" || len(res[0].SigPrefix) != 12 || !strings.HasPrefix(sigs[0]["b"], res[0].SigPrefix) {
		t.Errorf("result %+v", res[0])
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// Changes after signing: an added From or Subject (over-signed) and a
// changed body or header break the signatures; an added field that is
// not signed does not.
func TestSignedMessageChanges(t *testing.T) {
	dir := newKeys()
	k1, _ := Generate(ctxb, dir, "example.org", "", RSA, testNow)
	k2, _ := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	_, r := dnsWithKeys(t, k1, k2)
	msg := testMessage("alice@example.org", 2000)
	sig := mustSign(t, dir, msg)
	cases := []struct {
		name, msg, want string
	}{
		{"unchanged", msg, "pass pass"},
		{"added unsigned field", "X-Spam-Score: 0\r\n" + msg, "pass pass"},
		{"body whitespace (relaxed)", strings.Replace(msg, "fill it up.  \r\n", "fill  it up.\r\n", 1), "pass pass"},
		{"header case and folding (relaxed)", strings.Replace(msg, "Subject: a test", "SUBJECT:   a test", 1), "pass pass"},
		{"body changed", strings.Replace(msg, "Line 3 ", "Line 9 ", 1), "fail fail"},
		{"body appended", msg + "P.S. pay here\r\n", "fail fail"},
		{"subject changed", strings.Replace(msg, "a test message", "an urgent message", 1), "fail fail"},
		{"second From added", "From: mallory@evil.example\r\n" + msg, "fail fail"},
		{"second Subject added", "Subject: pay now\r\n" + msg, "fail fail"},
		{"Cc added (not present at signing)", "Cc: x@evil.example\r\n" + msg, "pass pass"},
	}
	for _, tc := range cases {
		res := verify(t, r, sig+tc.msg, 5)
		if got := statuses(res); got != tc.want {
			t.Errorf("%s: %s (%+v), want %s", tc.name, got, res, tc.want)
		}
	}
}

func TestSignChoosesDomain(t *testing.T) {
	dir := newKeys()
	for _, d := range []string{"example.org", "other.example", "co.uk"} {
		if _, err := Generate(ctxb, dir, d, "s", Ed25519, testNow); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, header string
		want         []string // d= of the signatures
	}{
		{"own domain", "From: a@example.org", []string{"example.org"}},
		{"case and IDN form", "From: a@EXAMPLE.Org", []string{"example.org"}},
		{"subdomain: bounce from the host name", "From: MAILER-DAEMON@mail.example.org", []string{"example.org"}},
		{"deeper subdomain", "From: x@a.b.example.org", []string{"example.org"}},
		{"no key", "From: a@unknown.example", nil},
		{"not past the organisational domain", "From: a@shop.co.uk", nil},
		{"no From", "Sender: a@example.org", nil},
		{"unparsable From", "From: <<<", nil},
		{"group without addresses", "From: undisclosed-recipients:;", nil},
		{"several authors, two domains", "From: a@example.org, b@other.example, c@example.org", []string{"example.org", "other.example"}},
		{"encoded display name in an unknown charset", "From: =?x-unknown?q?Al=E9?= <a@other.example>", []string{"other.example"}},
		{"folded From", "From: Alice\r\n <a@other.example>", []string{"other.example"}},
	}
	for _, tc := range cases {
		msg := tc.header + "\r\nSubject: hi\r\n\r\nbody\r\n"
		var got []string
		for _, tg := range sigFields(t, mustSign(t, dir, msg)) {
			if tg["d"] != "" {
				got = append(got, tg["d"])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: signed for %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A message without a body, and without the empty line before it, is
// signed as one with an empty body.
func TestSignHeaderOnly(t *testing.T) {
	dir := newKeys()
	k, _ := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	_, r := dnsWithKeys(t, k)
	for _, msg := range []string{"From: a@example.org\r\nSubject: x\r\n", "From: a@example.org\r\nSubject: x"} {
		sig := mustSign(t, dir, msg)
		if sig == "" {
			t.Fatalf("%q not signed", msg)
		}
		full := sig + msg
		if !strings.HasSuffix(full, "\r\n") {
			full += "\r\n"
		}
		if res := verify(t, r, full+"\r\n", 5); statuses(res) != "pass" {
			t.Errorf("%q: %+v", msg, res)
		}
	}
}

// Keys generated or removed while a Signer runs are used, or no longer
// used, after its next look at the directory.
func TestSignerReload(t *testing.T) {
	dir := newKeys()
	now := testNow
	s := NewSigner(dir, discardLogger())
	s.now = func() time.Time { return now }
	msg := testMessage("a@example.org", 500)
	sign := func() int {
		t.Helper()
		sig, err := s.Sign(context.Background(), strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(sig, "DKIM-Signature:")
	}
	if n := sign(); n != 0 {
		t.Fatalf("%d signatures without keys", n)
	}
	k, err := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if n := sign(); n != 0 {
		t.Errorf("a new key used before the interval passed (%d signatures)", n)
	}
	now = now.Add(reloadInterval)
	if n := sign(); n != 1 {
		t.Errorf("new key not picked up: %d signatures", n)
	}
	if _, err := Generate(ctxb, dir, "example.org", "", RSA, testNow); err != nil {
		t.Fatal(err)
	}
	now = now.Add(reloadInterval)
	if n := sign(); n != 2 {
		t.Errorf("second key not picked up: %d signatures", n)
	}
	if err := Remove(ctxb, dir, k.Domain, k.Selector); err != nil {
		t.Fatal(err)
	}
	now = now.Add(reloadInterval)
	if n := sign(); n != 1 {
		t.Errorf("removed key still used: %d signatures", n)
	}
}

func TestSignCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewSigner(newKeys(), discardLogger()).Sign(ctx, strings.NewReader("From: a@b.example\r\n\r\n")); err == nil {
		t.Error("Sign with a cancelled context succeeded")
	}
}

// Header lines longer than the read buffer.
func TestSignLongHeaderLines(t *testing.T) {
	dir := newKeys()
	k, _ := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	_, r := dnsWithKeys(t, k)
	msg := "X-Long: " + strings.Repeat("x", 10000) + "\r\nFrom: \"" + strings.Repeat("A", 5000) + "\" <a@example.org>\r\n\r\nbody\r\n"
	sig := mustSign(t, dir, msg)
	if res := verify(t, r, sig+msg, 5); statuses(res) != "pass" {
		t.Errorf("results %+v", res)
	}
}

// Rotation: a new key signs in place of the old one ActivationDelay after
// its creation, or at once when the old key is removed.
func TestSignRotation(t *testing.T) {
	dir := newKeys()
	old, _ := Generate(ctxb, dir, "example.org", "old", RSA, testNow.AddDate(0, -6, 0))
	created := testNow
	if _, err := Generate(ctxb, dir, "example.org", "new", RSA, created); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(ctxb, dir, "example.org", "ed", Ed25519, created); err != nil { // the only Ed25519 key
		t.Fatal(err)
	}
	now := created.Add(time.Minute)
	s := NewSigner(dir, discardLogger())
	s.now = func() time.Time { return now }
	selectors := func() string {
		t.Helper()
		sig, err := s.Sign(context.Background(), strings.NewReader(testMessage("a@example.org", 200)))
		if err != nil {
			t.Fatal(err)
		}
		var sels []string
		for _, tg := range sigFields(t, sig) {
			sels = append(sels, tg["s"])
		}
		return strings.Join(sels, " ")
	}
	if got := selectors(); got != "old ed" {
		t.Errorf("just after the new key: %q, want the old RSA key and the only Ed25519 key", got)
	}
	ring, _ := Load(ctxb, dir)
	if a := ring.Active("example.org", now); len(a) != 2 || a[0].Selector != "old" || a[1].Selector != "ed" {
		t.Errorf("Active = %v", a)
	}
	now = created.Add(ActivationDelay)
	if got := selectors(); got != "new ed" {
		t.Errorf("after the activation delay: %q", got)
	}
	now = created.Add(time.Hour)
	if got := selectors(); got != "old ed" {
		t.Errorf("back before the delay: %q", got)
	}
	if err := Remove(ctxb, dir, old.Domain, old.Selector); err != nil {
		t.Fatal(err)
	}
	now = now.Add(reloadInterval)
	if got := selectors(); got != "new ed" {
		t.Errorf("old key removed: %q", got)
	}
}
