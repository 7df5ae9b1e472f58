package imapd

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// pythonACL drives the ACL commands with Python's imaplib (setacl,
// getacl, myrights, listrights, deleteacl): bob shares "Shared" with
// alice, who lists, selects and reads it.
const pythonACL = `
import imaplib, json, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {}
b = imaplib.IMAP4(host, port, timeout=10)
b.login("bob@example.org", sys.argv[3])
out["setacl"] = b.setacl("Shared", "alice@example.org", "lrs")[0]
typ, data = b.getacl("Shared")
out["getacl"] = [typ, data[0].decode()]
imaplib.Commands["LISTRIGHTS"] = ("AUTH", "SELECTED")  # not among imaplib's methods
typ, dat = b._simple_command("LISTRIGHTS", "Shared", "alice@example.org")
typ, data = b._untagged_response(typ, dat, "LISTRIGHTS")
out["listrights"] = [typ, data[0].decode()]
out["deleteacl_anyone"] = b.deleteacl("Shared", "anyone")[0]
a = imaplib.IMAP4(host, port, timeout=10)
a.login("alice@example.org", sys.argv[3])
typ, data = a.namespace()
out["namespace"] = data[0].decode()
typ, data = a.myrights('"Other Users/bob@example.org/Shared"')
out["myrights"] = [typ, data[0].decode()]
typ, data = a.list('""', '"Other Users/*"')
out["list"] = [d.decode() for d in data]
typ, data = a.select('"Other Users/bob@example.org/Shared"')
out["select"] = [typ, data[0].decode()]
typ, data = a.fetch("1", "(BODY[TEXT])")
out["fetch"] = typ
typ, data = a.store("1", "+FLAGS", "(\\Flagged)")
out["store_w"] = [typ, str(data[0])]
typ, data = a.getacl('"Other Users/bob@example.org/Shared"')
out["getacl_alice"] = [typ, str(data[0])]
a.logout()
b.logout()
print(json.dumps(out))
`

func TestPythonACL(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	a := newACLEnv(t)
	host, port, _ := strings.Cut(a.addr, ":")
	out, err := exec.Command(py, "-c", pythonACL, host, port, testPass).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	js := func(k string) string { b, _ := json.Marshal(got[k]); return string(b) }
	for k, want := range map[string]string{
		"setacl":           `"OK"`,
		"getacl":           `["OK","Shared bob@example.org lrswipkxteacd alice@example.org lrs"]`,
		"listrights":       `["OK","Shared alice@example.org \"\" l r s w i p k x t e a c d"]`,
		"deleteacl_anyone": `"OK"`,
		"namespace":        `"((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL"`,
		"myrights":         `["OK","\"Other Users/bob@example.org/Shared\" lrs"]`,
		"list":             `["(\\HasNoChildren) \"/\" \"Other Users/bob@example.org/Shared\""]`,
		"select":           `["OK","1"]`,
		"fetch":            `"OK"`,
		"store_w":          `["NO","b'[NOPERM] Permission denied: no right to change these flags'"]`,
		"getacl_alice":     `["NO","b'[NOPERM] Permission denied'"]`,
	} {
		if js(k) != want {
			t.Errorf("%s = %s, want %s", k, js(k), want)
		}
	}
}
