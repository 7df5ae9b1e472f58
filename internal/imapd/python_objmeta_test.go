package imapd

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// pythonObjMeta drives OBJECTID, PREVIEW, METADATA and REPLACE with
// Python's imaplib, an independent client that knows none of them: the
// commands go through its generic command path, as a script would send
// them.
const pythonObjMeta = `
import imaplib, json, sys
for c in ("GETMETADATA", "SETMETADATA"):
    imaplib.Commands[c] = ("AUTH", "SELECTED")
imaplib.Commands["REPLACE"] = ("SELECTED",)
out = {}
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=10)
m.login(sys.argv[3], sys.argv[4])
out["caps"] = sorted(m.capabilities)
typ, data = m.select("INBOX")
out["mailboxid"] = [d.decode() for d in m.response("MAILBOXID")[1] if d]
typ, data = m.uid("FETCH", "1", "(EMAILID THREADID PREVIEW)")
out["fetch"] = [typ, data[0].decode()]
typ, data = m.uid("SEARCH", "THREADID", sys.argv[5])
out["search"] = [typ, data[0].decode()]
typ, data = m._simple_command("SETMETADATA", "INBOX", '(/private/comment "from python")')
out["set"] = typ
typ, data = m._simple_command("GETMETADATA", "INBOX", "/private/comment")
out["get"] = [typ, [d.decode() for d in m._untagged_response(typ, data, "METADATA")[1]]]
m.literal = b"From: py@example.org\r\nSubject: replaced\r\n\r\nnew text\r\n"
typ, data = m._simple_command("REPLACE", "1", "INBOX")
out["replace"] = typ
out["appenduid"] = [d.decode() for d in m.response("APPENDUID")[1] if d]
typ, data = m.uid("FETCH", "1:*", "(PREVIEW)")
out["after"] = [d.decode() for d in data if d]
m.logout()
print(json.dumps(out))
`

func TestPythonObjectMeta(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatal("python3 is required with PETREL_INTEROP=1")
		}
		t.Skip("python3 not found")
	}
	e := newEnv(t, nil)
	e.deliver("", testMessage("first", "Hello from the first message"), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	thread := firstMatch(t, threadIDRE, r.OK("f UID FETCH 1 THREADID")...)
	r.OK("l LOGOUT")
	host, port, _ := strings.Cut(e.addr, ":")
	raw, err := exec.Command(py, "-c", pythonObjMeta, host, port, testUser, testPass, thread).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var out struct {
		Caps      []string
		MailboxID []string
		Fetch     []string
		Search    []string
		Set       string
		Get       []any
		Replace   string
		AppendUID []string
		After     []string
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	for _, c := range []string{"OBJECTID", "PREVIEW", "METADATA", "REPLACE", "SAVEDATE", "UIDONLY", "INPROGRESS"} {
		if !strings.Contains(strings.Join(out.Caps, " "), c) {
			t.Errorf("capabilities %q lack %s", out.Caps, c)
		}
	}
	if len(out.MailboxID) != 1 || !regexp.MustCompile(`^\(F[0-9a-z]+\)$`).MatchString(out.MailboxID[0]) {
		t.Errorf("MAILBOXID: %q", out.MailboxID)
	}
	if len(out.Fetch) != 2 || !regexp.MustCompile(`^1 \(UID 1 EMAILID \(M[0-9a-z]+\) THREADID \(`+thread+`\) PREVIEW "Hello from the first message"\)$`).MatchString(out.Fetch[1]) {
		t.Errorf("FETCH: %q", out.Fetch)
	}
	if strings.Join(out.Search, " ") != "OK 1" || out.Set != "OK" || out.Replace != "OK" {
		t.Errorf("SEARCH %q, SETMETADATA %s, REPLACE %s", out.Search, out.Set, out.Replace)
	}
	if got, _ := json.Marshal(out.Get); string(got) != `["OK",["INBOX (/private/comment \"from python\")"]]` {
		t.Errorf("GETMETADATA: %s", got)
	}
	if len(out.AppendUID) != 1 || !strings.HasSuffix(out.AppendUID[0], " 2") {
		t.Errorf("APPENDUID: %q", out.AppendUID)
	}
	if strings.Join(out.After, "|") != `1 (UID 2 PREVIEW "new text")` {
		t.Errorf("after REPLACE: %q", out.After)
	}
}
