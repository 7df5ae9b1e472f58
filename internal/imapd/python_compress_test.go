package imapd

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pythonCompressNotify drives COMPRESS and NOTIFY with Python's imaplib,
// which has neither: COMPRESS is added here on zlib (raw DEFLATE at
// level 6 with a sync flush per command, as zlib-based clients send it),
// NOTIFY sent with xatom. Another connection appends; the first hears of
// it. It prints what it saw as JSON.
const pythonCompressNotify = `
import imaplib, json, sys, zlib
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
imaplib.Commands["COMPRESS"] = ("AUTH", "SELECTED")
imaplib.Commands["NOTIFY"] = ("AUTH", "SELECTED")

class ZIMAP(imaplib.IMAP4):
    z = False
    def compress(self):
        typ, _ = self._simple_command("COMPRESS", "DEFLATE")
        if typ == "OK":
            self.zin = zlib.decompressobj(-15)
            self.zout = zlib.compressobj(6, zlib.DEFLATED, -15)
            self.zbuf = b""
            self.z = True
        return typ
    def _fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise self.abort("EOF")
        self.zbuf += self.zin.decompress(d)
    def read(self, size):
        if not self.z:
            return super().read(size)
        while len(self.zbuf) < size:
            self._fill()
        r, self.zbuf = self.zbuf[:size], self.zbuf[size:]
        return r
    def readline(self):
        if not self.z:
            return super().readline()
        while b"\n" not in self.zbuf:
            self._fill()
        i = self.zbuf.index(b"\n") + 1
        r, self.zbuf = self.zbuf[:i], self.zbuf[i:]
        return r
    def send(self, data):
        if self.z:
            data = self.zout.compress(data) + self.zout.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

out = {}
a = ZIMAP(host, port, timeout=10)
out["caps"] = sorted(a.capabilities)
a.login(user, pw)
out["compress"] = a.compress()
out["compress_again"] = a._simple_command("COMPRESS", "DEFLATE")[0]
out["create"] = a.create("Saved")[0]
body = "".join("line %d of a message that compresses, with some words again and again\r\n" % i for i in range(400))
msg = ("From: py@example.org\r\nSubject: compressed append\r\n\r\n" + body).encode()
out["append"] = a.append("INBOX", None, None, msg)[0]
typ, data = a.select("INBOX")
out["select"] = data[0].decode()
typ, data = a.uid("FETCH", "1:*", "(FLAGS ENVELOPE BODY.PEEK[])")
out["fetched"] = [d[1].decode() == msg.decode() for d in data if isinstance(d, tuple)]
typ, data = a.xatom("NOTIFY", "SET (STATUS) (mailboxes Saved (MessageNew MessageExpunge))")
out["notify"] = typ
out["status_at_set"] = [d.decode() for d in a.untagged_responses.pop("STATUS", [])]

b = imaplib.IMAP4(host, port, timeout=10)
b.login(user, pw)
b.append("Saved", None, None, b"From: b@example.org\r\nSubject: to Saved\r\n\r\nx\r\n")
b.logout()
a.noop()
out["status_after"] = [d.decode() for d in a.untagged_responses.pop("STATUS", [])]
out["logout"] = a.logout()[0]
print(json.dumps(out))
`

func TestPythonCompressNotify(t *testing.T) {
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
	raw, err := exec.Command(py, "-c", pythonCompressNotify, host, port, testUser, testPass).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var out struct {
		Caps                   []string
		Compress               string
		CompressAgain          string `json:"compress_again"`
		Create, Append, Select string
		Fetched                []bool
		Notify                 string
		StatusAtSet            []string `json:"status_at_set"`
		StatusAfter            []string `json:"status_after"`
		Logout                 string
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	caps := strings.Join(out.Caps, " ")
	if !strings.Contains(caps, "COMPRESS=DEFLATE") || !strings.Contains(caps, "NOTIFY") {
		t.Errorf("CAPABILITY %s", caps)
	}
	if out.Compress != "OK" || out.CompressAgain != "NO" || out.Create != "OK" || out.Append != "OK" || out.Select != "2" {
		t.Errorf("COMPRESS %s, again %s, CREATE %s, APPEND %s, SELECT %s EXISTS", out.Compress, out.CompressAgain, out.Create, out.Append, out.Select)
	}
	if len(out.Fetched) != 2 || out.Fetched[0] || !out.Fetched[1] {
		t.Errorf("FETCH over COMPRESS: %v, want the appended message back whole (second)", out.Fetched)
	}
	if out.Notify != "OK" || len(out.StatusAtSet) != 1 || !strings.HasPrefix(out.StatusAtSet[0], "Saved (MESSAGES 0 ") {
		t.Errorf("NOTIFY SET (STATUS): %s %q", out.Notify, out.StatusAtSet)
	}
	if len(out.StatusAfter) != 1 || !strings.HasPrefix(out.StatusAfter[0], "Saved (MESSAGES 1 UIDNEXT 2 ") {
		t.Errorf("after another connection's APPEND: %q", out.StatusAfter)
	}
	if out.Logout != "BYE" {
		t.Errorf("LOGOUT %s", out.Logout)
	}
}
