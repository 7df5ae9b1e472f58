package smtpd

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// pythonClient drives the server with Python's smtplib and prints what it
// saw as JSON.
const pythonClient = `
import json, smtplib, ssl, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {}
s = smtplib.SMTP(host, port, timeout=10)
code, msg = s.ehlo("py.test")
out["ehlo"] = [code, sorted(s.esmtp_features.keys())]
out["refused"] = {k: v[0] for k, v in s.sendmail("a@example.org",
    ["b1@mx.test", "b2@mx.test", "b3@mx.test", "nobody@mx.test"],
    b"Subject: python\r\n\r\n.dot\r\nbare\nlf\r\n").items()}
try:
    s.sendmail("a@example.org", ["b@mx.test"], b"x" * 20000)
except smtplib.SMTPSenderRefused as e:
    out["too_big"] = [e.smtp_code, e.smtp_error.decode()[:5]]
s.sendmail("jos\u00e9@example.org", ["d\u00f8r@mx.test"], "Subject: utf8\r\n\r\nh\u00e9\r\n".encode(),
    mail_options=["SMTPUTF8"])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out["starttls"] = s.starttls(context=ctx)[0]
s.ehlo("py.test")
out["tls_features"] = sorted(s.esmtp_features.keys())
s.sendmail("a@example.org", ["b1@mx.test"], b"Subject: tls\r\n\r\nsecret\r\n")
out["noop"] = s.noop()[0]
out["quit"] = s.quit()[0]
print(json.dumps(out))
`

func TestPythonSmtplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatal("python3 is required with PETREL_INTEROP=1")
		}
		t.Skip("python3 not found")
	}
	cfg := testConfig()
	cfg.MaxRecipients = 3
	cfg.TLS = serverTLS(t)
	ts := start(t, cfg, nil)
	ts.d.rejectRcpt("nobody@mx.test", smtpreply.NoSuchUser("nobody@mx.test"))
	host, port, _ := strings.Cut(ts.addr, ":")
	cmd := exec.Command(py, "-c", pythonClient, host, port)
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderrOf(err))
	}
	var out struct {
		Ehlo        []json.RawMessage
		Refused     map[string]int
		TooBig      []any `json:"too_big"`
		StartTLS    int
		TLSFeatures []string `json:"tls_features"`
		Noop, Quit  int
	}
	if err := json.Unmarshal(outb, &out); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	var features []string
	json.Unmarshal(out.Ehlo[1], &features)
	if strings.Join(features, " ") != "8bitmime chunking dsn enhancedstatuscodes pipelining size smtputf8 starttls" {
		t.Errorf("EHLO features %s", out.Ehlo[1])
	}
	// b1-b3 are accepted; nobody@ is past the limit of 3 (452), which
	// is checked before the recipient itself.
	if len(out.Refused) != 1 || out.Refused["nobody@mx.test"] != 452 {
		t.Errorf("refused %v", out.Refused)
	}
	if len(out.TooBig) != 2 || out.TooBig[0] != float64(552) || out.TooBig[1] != "5.3.4" {
		t.Errorf("too big %v", out.TooBig)
	}
	if out.StartTLS != 220 || strings.Contains(strings.Join(out.TLSFeatures, " "), "starttls") || out.Noop != 250 || out.Quit != 221 {
		t.Errorf("%+v", out)
	}
	m := ts.d.messages()
	if len(m) != 3 {
		t.Fatalf("%d messages", len(m))
	}
	if string(m[0].body) != "Subject: python\r\n\r\n.dot\r\nbare\r\nlf\r\n" || len(m[0].env.Recipients) != 3 {
		t.Errorf("first message %q %v", m[0].body, m[0].env.Recipients)
	}
	if !m[1].env.SMTPUTF8 || m[1].env.From.Local != "jos\u00e9" || m[1].env.Recipients[0].Addr.Local != "d\u00f8r" {
		t.Errorf("SMTPUTF8 envelope %+v", m[1].env)
	}
	if m[2].env.Protocol != "ESMTPS" || m[2].env.Helo != "py.test" {
		t.Errorf("TLS envelope %+v", m[2].env)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
