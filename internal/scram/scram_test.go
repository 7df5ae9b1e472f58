package scram

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// RFC 7677 §3's example: user "user", password "pencil".
const (
	vecClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
	vecServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	vecServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	vecClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	vecServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

func vectorSecrets(t *testing.T, password string) Secrets {
	t.Helper()
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	sec, err := NewSecrets(password, salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

func vectorServer(t *testing.T, password string) *Server {
	sec := vectorSecrets(t, password)
	s := NewServer(false, nil, func(user string) (Secrets, error) {
		if user != "user" {
			t.Errorf("looked up %q", user)
		}
		return sec, nil
	})
	s.fixedNonce = vecServerNonce
	return s
}

func TestRFC7677Vector(t *testing.T) {
	s := vectorServer(t, "pencil")
	if ch, done, err := s.Next(nil); err != nil || done || len(ch) != 0 {
		t.Fatalf("no initial response: %q %v %v", ch, done, err)
	}
	ch, done, err := s.Next([]byte(vecClientFirst))
	if err != nil || done || string(ch) != vecServerFirst {
		t.Fatalf("server-first %q %v %v, want %q", ch, done, err, vecServerFirst)
	}
	if _, ok := s.Verify(); ok {
		t.Fatal("verified before the client-final message")
	}
	if _, done, err = s.Next([]byte(vecClientFinal)); err != nil || !done {
		t.Fatalf("client-final: %v %v", done, err)
	}
	final, ok := s.Verify()
	if !ok || string(final) != vecServerFinal {
		t.Fatalf("Verify = %q %v, want %q", final, ok, vecServerFinal)
	}
	if s.User() != "user" {
		t.Fatalf("User %q", s.User())
	}
}

func TestWrongPasswordFails(t *testing.T) {
	s := vectorServer(t, "pencil2")
	s.Next([]byte(vecClientFirst))
	if _, done, err := s.Next([]byte(vecClientFinal)); err != nil || !done {
		t.Fatalf("client-final: %v %v", done, err)
	}
	if final, ok := s.Verify(); ok || final != nil {
		t.Fatalf("a proof for another password verified: %q", final)
	}
}

func TestSecretsRoundTrip(t *testing.T) {
	sec := vectorSecrets(t, "pencil")
	enc := sec.Encode()
	if !strings.HasPrefix(enc, "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$") {
		t.Fatalf("Encode = %q", enc)
	}
	got, err := DecodeSecrets(enc)
	if err != nil || got.Encode() != enc {
		t.Fatalf("DecodeSecrets = %+v %v", got, err)
	}
	for _, bad := range []string{"", "SCRAM-SHA-256$100:AA==$" + enc[strings.LastIndex(enc, "$")+1:],
		strings.Replace(enc, "SCRAM-SHA-256", "SCRAM-SHA-1", 1), enc[:len(enc)-4]} {
		if _, err := DecodeSecrets(bad); err == nil {
			t.Errorf("DecodeSecrets(%q) accepted", bad)
		}
	}
	if _, err := NewSecrets("pencil", []byte("salt"), 1000); err == nil {
		t.Error("1000 iterations accepted (RFC 7677 §4: at least 4096)")
	}
}

// SASLprep/OpaqueString: a non-ASCII space is mapped to U+0020 (RFC 8265
// §4.2.1), so both spellings derive the same keys; a control character
// is refused.
func TestPreparePassword(t *testing.T) {
	a := vectorSecrets(t, "pen cil")
	b := vectorSecrets(t, "pen\u00a0cil")
	if a.Encode() != b.Encode() {
		t.Fatal("NO-BREAK SPACE not mapped to SPACE")
	}
	if _, err := NewSecrets("pen\u0007cil", []byte("salt"), 4096); err == nil {
		t.Fatal("a control character accepted")
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ in, out string }{{"a=2Cb", "a,b"}, {"a=3Db", "a=b"}, {"plain", "plain"}, {"=3D=2C", "=,"}} {
		if got, err := decodeName(c.in); err != nil || got != c.out {
			t.Errorf("decodeName(%q) = %q %v", c.in, got, err)
		}
		if EncodeName(c.out) != c.in {
			t.Errorf("EncodeName(%q) = %q", c.out, EncodeName(c.out))
		}
	}
	for _, bad := range []string{"a=b", "a=2c", "a=", "a=3", "a\x00b"} {
		if _, err := decodeName(bad); err == nil {
			t.Errorf("decodeName(%q) accepted", bad)
		}
	}
}

func TestMalformedClientFirst(t *testing.T) {
	for _, m := range []string{
		"", "n", "n,", "n,,", "x,,n=user,r=abc", "n,,r=abc,n=user", "n,,n=,r=abc", "n,,n=user,r=",
		"n,,n=user", "n,,m=ext,n=user,r=abc", "n,,n=us=er,r=abc", "n,b=x,n=user,r=abc",
		"n,a=,n=user,r=abc", "p=,,n=user,r=abc", "p=tls exporter,,n=user,r=abc",
		"n,,n=user,r=ab,c", "n,,n=user,r=a b", "n,,n=user,r=abc,xyz", "n,,n=user,r=abc,p=x",
		"n,,n=user,r=abc\xff",
		"n,,n=user,r=" + strings.Repeat("a", maxMessage),
	} {
		if _, err := parseClientFirst([]byte(m)); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseClientFirst(%q) = %v, want ErrMalformed", m, err)
		}
	}
	m, err := parseClientFirst([]byte("p=tls-exporter,a=u=2Cv,n=u=2Cv,r=abc,x=ignored"))
	if err != nil || m.user != "u,v" || m.authz != "u,v" || m.cbName != "tls-exporter" || m.gs2 != "p=tls-exporter,a=u=2Cv," {
		t.Fatalf("parsed %+v %v", m, err)
	}
}

func TestMalformedClientFinal(t *testing.T) {
	for _, m := range []string{
		"", "c=biws,r=abc", "c=biws,r=abc,p=", "c=biws,r=abc,p=!!", "r=abc,c=biws,p=AAAA",
		"c=b!ws,r=abc,p=AAAA", "c=biws,r=,p=AAAA", "c=biws,r=abc,q,p=AAAA",
	} {
		if _, err := parseClientFinal([]byte(m)); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseClientFinal(%q) = %v, want ErrMalformed", m, err)
		}
	}
}

// flagCase runs the client-first message of flag under mechanism plus on
// a connection with or without binding data.
func flagCase(t *testing.T, plus bool, exporter []byte, gs2 string) error {
	t.Helper()
	s := NewServer(plus, exporter, func(string) (Secrets, error) { return vectorSecrets(t, "pencil"), nil })
	_, _, err := s.Next([]byte(gs2 + "n=user,r=abc"))
	return err
}

// RFC 5802 §6: the gs2-cbind-flag against the mechanism and the
// connection.
func TestChannelBindingFlags(t *testing.T) {
	cb := make([]byte, ExporterLen)
	for _, c := range []struct {
		plus     bool
		exporter []byte
		gs2      string
		want     error
	}{
		{false, nil, "n,,", nil},
		{false, cb, "n,,", nil},
		{false, nil, "y,,", nil},                    // the server cannot bind here: no downgrade
		{false, cb, "y,,", ErrDowngrade},            // -PLUS was offered: downgrade
		{false, cb, "p=tls-exporter,,", ErrBinding}, // "p" needs -PLUS
		{true, cb, "p=tls-exporter,,", nil},
		{true, cb, "p=tls-server-end-point,,", ErrBinding}, // type not supported
		{true, nil, "p=tls-exporter,,", ErrBinding},        // no TLS data
		{true, cb, "n,,", ErrBinding},
		{true, cb, "y,,", ErrBinding},
		{false, nil, "n,a=other,", ErrAuthzid},
		{false, nil, "n,a=user,", nil},
	} {
		if err := flagCase(t, c.plus, c.exporter, c.gs2); !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("plus=%v exporter=%v %q: %v, want %v", c.plus, c.exporter != nil, c.gs2, err, c.want)
		}
	}
}

// The c= attribute must repeat the gs2 header and, for -PLUS, the
// connection's exporter data; the nonce must be the combined one.
func TestClientFinalBindingAndNonce(t *testing.T) {
	cb := []byte(strings.Repeat("k", ExporterLen))
	lookup := func(string) (Secrets, error) { return vectorSecrets(t, "pencil"), nil }
	run := func(plus bool, gs2, c, nonce string) error {
		s := NewServer(plus, cb, lookup)
		s.fixedNonce = "SRV"
		if _, _, err := s.Next([]byte(gs2 + "n=user,r=abc")); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Next([]byte("c=" + base64.StdEncoding.EncodeToString([]byte(c)) + ",r=" + nonce + ",p=AAAA"))
		return err
	}
	gs2 := "p=tls-exporter,,"
	if err := run(true, gs2, gs2+string(cb), "abcSRV"); err != nil {
		t.Fatalf("right binding: %v", err)
	}
	if err := run(true, gs2, gs2+strings.Repeat("x", ExporterLen), "abcSRV"); !errors.Is(err, ErrBinding) {
		t.Fatalf("other connection's binding data: %v", err)
	}
	if err := run(true, gs2, gs2, "abcSRV"); !errors.Is(err, ErrBinding) {
		t.Fatalf("no binding data: %v", err)
	}
	if err := run(false, "n,,", "y,,", "abcSRV"); !errors.Is(err, ErrBinding) {
		t.Fatalf("gs2 header changed between messages: %v", err)
	}
	if err := run(false, "n,,", "n,,", "abcXYZ"); !errors.Is(err, ErrNonce) {
		t.Fatalf("other nonce: %v", err)
	}
}

func FuzzServer(f *testing.F) {
	f.Add([]byte(vecClientFirst), []byte(vecClientFinal))
	f.Add([]byte("p=tls-exporter,a=u=2C,n=u=3D,r=x,e=y"), []byte("c=cD10bHMtZXhwb3J0ZXIsLA==,r=x,p=AAAA"))
	f.Add([]byte("y,,m=x,n=u,r=r"), []byte("c=,r=,p="))
	sec := Secrets{Salt: []byte("salt"), Iterations: 4096, StoredKey: make([]byte, 32), ServerKey: make([]byte, 32)}
	f.Fuzz(func(t *testing.T, first, final []byte) {
		for _, plus := range []bool{false, true} {
			s := NewServer(plus, make([]byte, ExporterLen), func(string) (Secrets, error) { return sec, nil })
			if _, _, err := s.Next(first); err != nil {
				continue
			}
			_, done, err := s.Next(final)
			if err == nil && !done {
				t.Fatal("client-final accepted but not done")
			}
			if _, ok := s.Verify(); ok {
				t.Fatal("a proof verified against an all-zero StoredKey")
			}
		}
	})
}

// The one-time cost of a password's secrets (at a password change or the
// first main-password login): PBKDF2-SHA-256 with 4096 iterations.
func BenchmarkNewSecrets(b *testing.B) {
	salt := make([]byte, SaltLen)
	for b.Loop() {
		if _, err := NewSecrets("correct horse battery staple", salt, MinIterations); err != nil {
			b.Fatal(err)
		}
	}
}
