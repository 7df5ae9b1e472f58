package imapd

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pythonClient drives the server with Python's imaplib (an IMAP4rev1
// client) and prints what it saw as JSON.
const pythonClient = `
import imaplib, json, ssl, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {}
m = imaplib.IMAP4(host, port, timeout=10)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out["starttls"] = m.starttls(ssl_context=ctx)[0]
out["caps"] = sorted(m.capabilities)
out["login"] = m.login(sys.argv[3], sys.argv[4])[0]
out["create"] = m.create("Py/Sub")[0]
out["create_exists"] = m.create("Py/Sub")[0]
typ, data = m.list('""', "Py*")
out["list"] = [d.decode() for d in data]
out["lsub_sub"] = m.subscribe("Py/Sub")[0]
typ, data = m.lsub('""', "*")
out["lsub"] = [d.decode() for d in data]
msg = b"From: py@example.org\r\nSubject: from python\r\n\r\nhello python\r\n"
typ, data = m.append("INBOX", "(\\Flagged)", imaplib.Time2Internaldate(1700000000), msg)
out["append"] = [typ, data[0].decode()]
typ, data = m.select("INBOX")
out["select"] = [typ, data[0].decode()]
out["recent"] = m.response("RECENT")[1][0].decode()
typ, data = m.uid("FETCH", "1:*", "(UID RFC822.SIZE)")
out["fetch"] = [d.decode() for d in data]
typ, data = m.uid("STORE", "1", "+FLAGS", "(\\Seen)")
out["store"] = typ
typ, data = m.status("INBOX", "(MESSAGES UNSEEN UIDNEXT)")
out["status"] = data[0].decode()
typ, data = m.copy("1", "Py/Sub")
out["copy"] = typ
out["rename"] = m.rename("Py/Sub", "Py/Renamed")[0]
typ, data = m.getquotaroot("INBOX")
out["quotaroot"] = [typ] + [str(d) for d in data]
m.store("1", "+FLAGS", "(\\Deleted)")
typ, data = m.expunge()
out["expunge"] = [typ, [d.decode() if d else None for d in data]]
out["bad"] = None
try:
    m.xatom("BOGUS")
except imaplib.IMAP4.error as e:
    out["bad"] = str(e)[:20]
out["noop"] = m.noop()[0]
out["close"] = m.close()[0]
out["logout"] = m.logout()[0]
print(json.dumps(out))
`

func TestPythonImaplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatal("python3 is required with PETREL_INTEROP=1")
		}
		t.Skip("python3 not found")
	}
	e := newEnv(t, nil)
	e.deliver("", testMessage("first", "x"), 0)
	host, port, _ := strings.Cut(e.addr, ":")
	out, err := exec.Command(py, "-c", pythonClient, host, port, testUser, testPass).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	js := func(k string) string { b, _ := json.Marshal(got[k]); return string(b) }
	checks := map[string]string{
		"starttls": `"OK"`, "login": `"OK"`, "create": `"OK"`, "create_exists": `"NO"`,
		"append": `["OK","[APPENDUID `, "select": `["OK","2"]`, "recent": `"2"`,
		"store": `"OK"`, "copy": `"OK"`, "rename": `"OK"`, "expunge": `["OK",["1"]]`,
		"noop": `"OK"`, "close": `"OK"`, "logout": `"BYE"`, "bad": `"BOGUS command error`,
	}
	for k, want := range checks {
		if !strings.HasPrefix(js(k), want) {
			t.Errorf("%s = %s, want %s...", k, js(k), want)
		}
	}
	for k, want := range map[string]string{
		"caps":      `"IMAP4REV1"`,
		"list":      `\"/\" Py/Sub`,
		"lsub":      `\"/\" Py/Sub`,
		"fetch":     `RFC822.SIZE`,
		"status":    `MESSAGES 2`,
		"quotaroot": `INBOX \"\"`,
	} {
		if !strings.Contains(js(k), want) {
			t.Errorf("%s = %s, want it to contain %s", k, js(k), want)
		}
	}
}
