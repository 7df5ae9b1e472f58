package dkim

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Interoperability with dkimpy (Debian python3-dkim), an independent
// implementation: it verifies Petrel's signatures, and Petrel verifies
// its signatures. Key records reach dkimpy through its dnsfunc argument
// and Petrel through a dnstest server; no real DNS.

// python is Debian's python3 (the first python3 on PATH may be another
// install without Debian's modules).
const python = "/usr/bin/python3"

// needDkimpy skips the test when dkimpy is missing, unless PETREL_INTEROP=1
// (then it fails).
func needDkimpy(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import dkim, nacl").Run(); err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatalf("%s with dkimpy (Debian package python3-dkim) is required with PETREL_INTEROP=1: %v", python, err)
		}
		t.Skipf("%s with dkimpy (python3-dkim) is not available", python)
	}
}

// dkimpy runs testdata/dkimpy.py and returns its output.
func dkimpy(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(python, append([]string{"testdata/dkimpy.py"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dkimpy %s: %v\n%s", args[0], err, stderr.String())
	}
	return string(out)
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dkimpyVerify has dkimpy verify every signature of msg with the keys'
// records published; it returns "pass"/"fail" per signature.
func dkimpyVerify(t *testing.T, msg string, records map[string]string) string {
	t.Helper()
	js, _ := json.Marshal(records)
	out := dkimpy(t, "verify", writeFile(t, "msg.eml", msg), writeFile(t, "keys.json", string(js)))
	var words []string
	for line := range strings.Lines(out) {
		word, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		words = append(words, word)
	}
	return strings.Join(words, " ")
}

func TestDkimpyVerifiesPetrel(t *testing.T) {
	needDkimpy(t)
	dir := newKeys()
	rk, err := Generate(ctxb, dir, "example.org", "", RSA, testNow)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := Generate(ctxb, dir, "example.org", "", Ed25519, testNow)
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]string{rk.RecordName(): rk.TXT(), ek.RecordName(): ek.TXT()}
	msg := testMessage("alice@example.org", 4096)
	sig := mustSign(t, dir, msg)
	cases := []struct{ name, msg, want string }{
		{"as signed", sig + msg, "pass pass"},
		{"body changed", sig + strings.Replace(msg, "Line 7 ", "Line 8 ", 1), "fail fail"},
		{"subject changed", sig + strings.Replace(msg, "a test message", "another message", 1), "fail fail"},
		{"From added", "From: mallory@evil.example\r\n" + sig + msg, "fail fail"},
		{"unsigned field added", "Received: from somewhere\r\n" + sig + msg, "pass pass"},
	}
	for _, tc := range cases {
		if got := dkimpyVerify(t, tc.msg, records); got != tc.want {
			t.Errorf("%s: dkimpy says %q, want %q", tc.name, got, tc.want)
		}
	}
	// A From in another charset and folded, from a subdomain.
	msg = "From: =?iso-8859-1?q?Andr=E9?=\r\n <postmaster@mail.example.org>\r\nSubject: x\r\n\r\nhi\r\n"
	if got := dkimpyVerify(t, mustSign(t, dir, msg)+msg, records); got != "pass pass" {
		t.Errorf("bounce from the host name: dkimpy says %q", got)
	}
}

// dkimpyKeys makes an RSA and an Ed25519 key and writes them in dkimpy's
// formats; it returns the keys (for their records) and the key files.
func dkimpyKeys(t *testing.T) (rk, ek *Key, rsaFile, edFile string) {
	t.Helper()
	dir := newKeys()
	var err error
	if rk, err = Generate(ctxb, dir, "example.org", "py-rsa", RSA, testNow); err != nil {
		t.Fatal(err)
	}
	if ek, err = Generate(ctxb, dir, "example.org", "py-ed", Ed25519, testNow); err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk.signer.(*rsa.PrivateKey))})
	rsaFile = writeFile(t, "rsa.pem", string(pkcs1))
	edFile = writeFile(t, "ed.key", base64.StdEncoding.EncodeToString(ek.signer.(ed25519.PrivateKey).Seed()))
	return rk, ek, rsaFile, edFile
}

func TestPetrelVerifiesDkimpy(t *testing.T) {
	needDkimpy(t)
	rk, ek, rsaFile, edFile := dkimpyKeys(t)
	msg := testMessage("alice@example.org", 4096)
	msgFile := writeFile(t, "msg.eml", msg)
	rsaSig := dkimpy(t, "sign", msgFile, "py-rsa", "example.org", "rsa-sha256", rsaFile)
	edSig := dkimpy(t, "sign", msgFile, "py-ed", "example.org", "ed25519-sha256", edFile)
	signed := rsaSig + edSig + msg

	srv, r := dnsWithKeys(t, rk, ek)
	cases := []struct{ name, msg, want string }{
		{"as signed", signed, "pass pass"},
		{"body changed", strings.Replace(signed, "Line 7 ", "Line 8 ", 1), "fail fail"},
		{"header changed", strings.Replace(signed, "To: bob@", "To: eve@", 1), "fail fail"},
	}
	for _, tc := range cases {
		if got := statuses(verify(t, r, tc.msg, 5)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	res := verify(t, r, signed, 5)
	if res[0].Selector != "py-rsa" || res[0].Algorithm != "rsa-sha256" || res[1].Selector != "py-ed" || res[1].Domain != "example.org" ||
		!strings.Contains(stripSpace(rsaSig), "b="+res[0].SigPrefix) {
		t.Errorf("results %+v", res)
	}

	// Key trouble, through the DNS server: no key, revoked key, SERVFAIL.
	_, empty := dnsWithKeys(t)
	if res := verify(t, empty, signed, 5); statuses(res) != "permerror permerror" || res[0].Reason != "no key for signature" {
		t.Errorf("missing keys: %+v", res)
	}
	srv2, revoked := dnsWithKeys(t, ek)
	srv2.Add(t, rk.RecordName()+`. TXT "v=DKIM1; k=rsa; p="`)
	if res := verify(t, revoked, signed, 5); statuses(res) != "permerror pass" || res[0].Reason != "key revoked" {
		t.Errorf("revoked RSA key: %+v", res)
	}
	srv.ServFail(ek.RecordName())
	if res := verify(t, r, signed, 5); statuses(res) != "pass temperror" {
		t.Errorf("SERVFAIL for the Ed25519 key: %+v", res)
	}

	// More signatures than max: the third is not checked.
	three := rsaSig + edSig + rsaSig + msg
	if got := statuses(verify(t, r, three, 2)); got != "pass temperror policy" {
		t.Errorf("three signatures, max 2: %q", got)
	}
}

// Signatures Petrel refuses by policy: a body length (l=) and rsa-sha1.
func TestPetrelRefusesDkimpyPolicy(t *testing.T) {
	needDkimpy(t)
	rk, _, rsaFile, _ := dkimpyKeys(t)
	msg := testMessage("alice@example.org", 1000)
	msgFile := writeFile(t, "msg.eml", msg)
	_, r := dnsWithKeys(t, rk)
	for _, tc := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"l=", []string{"rsa-sha256", rsaFile, "", "length"}, "body length (l=) is not accepted"},
		{"rsa-sha1", []string{"rsa-sha1", rsaFile}, "rsa-sha1 is not accepted"},
	} {
		sig := dkimpy(t, append([]string{"sign", msgFile, "py-rsa", "example.org"}, tc.args...)...)
		res := verify(t, r, sig+msg, 5)
		if len(res) != 1 || res[0].Status != Policy || res[0].Reason != tc.reason {
			t.Errorf("%s: %+v", tc.name, res)
		}
	}
}
