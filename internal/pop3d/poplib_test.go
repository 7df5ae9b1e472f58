package pop3d

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/certs"
)

// poplibResult is what testdata/poplib_session.py prints.
type poplibResult struct {
	Welcome, Pass, Rset, Noop, Quit string
	RetrDeleted                     string   `json:"retr_deleted"`
	CapaTLS                         []string `json:"capa_tls"`
	Capa, List, Uidl, Top0, Top1    []string
	Stat                            []int64
	Retr                            []struct {
		Resp, Body string
		Octets     int64
	}
}

// needTool finds an external program: a missing one skips the test,
// unless PETREL_INTEROP=1, where it is a failure.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatalf("%s not found (PETREL_INTEROP=1): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

func runPoplib(t *testing.T, e *env, mode, addr string) poplibResult {
	t.Helper()
	py := needTool(t, "python3")
	host, port, _ := strings.Cut(addr, ":")
	if mode != "plain" {
		host = "localhost"
	}
	out, err := exec.Command(py, filepath.Join("testdata", "poplib_session.py"), mode, host, port, testUser, testPass,
		filepath.Join(certs.Dir(e.dir), certs.CertFile)).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("poplib: %v\n%s", err, stderr)
	}
	var res poplibResult
	dec := json.NewDecoder(strings.NewReader(string(out)))
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("poplib output %q: %v", out, err)
	}
	return res
}

func TestPoplib(t *testing.T) {
	for _, mode := range []string{"plain", "stls", "ssl"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, func(c *Config, _ *Deps) { c.AllowInsecureAuth = mode == "plain" })
			bodies := []string{
				testMessage(1),
				"Subject: dots\r\n\r\n.\r\n..\r\n.leading dot\r\nend\r\n",
				"Subject: bare LF\n\nno final newline",
			}
			for _, b := range bodies {
				e.deliver(b)
			}
			addr := e.addr
			if mode == "ssl" {
				addr = e.tlsAddr
			}
			res := runPoplib(t, e, mode, addr)
			checkPoplib(t, res, bodies, mode)
			left := e.messages()
			if len(left) != 2 || left[0].UID != 2 {
				t.Fatalf("after QUIT: %+v, want messages 2 and 3", left)
			}
		})
	}
}

func checkPoplib(t *testing.T, res poplibResult, bodies []string, mode string) {
	t.Helper()
	if !strings.HasPrefix(res.Welcome, "+OK pop.example.org") || !strings.HasPrefix(res.Pass, "+OK Maildrop has 3") {
		t.Errorf("welcome %q, pass %q", res.Welcome, res.Pass)
	}
	capa := res.Capa
	if mode == "stls" {
		if !slices.Contains(capa, "STLS") || slices.Contains(capa, "USER") {
			t.Errorf("CAPA before STLS = %q", capa)
		}
		capa = res.CapaTLS
	}
	for _, want := range []string{"TOP", "UIDL", "USER", "SASL", "RESP-CODES", "PIPELINING"} {
		if !slices.Contains(capa, want) {
			t.Errorf("CAPA %q lacks %s", capa, want)
		}
	}
	var total int64
	for i, r := range res.Retr {
		body, _ := base64.StdEncoding.DecodeString(r.Body)
		want := strings.ReplaceAll(strings.ReplaceAll(bodies[i], "\r\n", "\n"), "\n", "\r\n")
		if !strings.HasSuffix(want, "\r\n") {
			want += "\r\n"
		}
		if string(body) != want {
			t.Errorf("RETR %d: %q, want %q", i+1, body, want)
		}
		var size int64
		fmt.Sscanf(res.List[i], "%d %d", new(int), &size)
		if r.Resp != fmt.Sprintf("+OK %d octets", size) {
			t.Errorf("RETR %d: %q, LIST says %d", i+1, r.Resp, size)
		}
		total += size
	}
	if len(res.Retr) != 3 || len(res.Stat) != 2 || res.Stat[0] != 3 || res.Stat[1] != total {
		t.Errorf("STAT %v, %d messages retrieved, LIST total %d", res.Stat, len(res.Retr), total)
	}
	if len(res.Uidl) != 3 {
		t.Errorf("UIDL %q", res.Uidl)
	}
	if !slices.Equal(res.Top0, []string{"From: bob@example.com", "To: alice@example.org", "Subject: message 1", ""}) ||
		len(res.Top1) != 5 || res.Top1[4] != "Body of message 1." {
		t.Errorf("TOP 1 0 = %q, TOP 1 1 = %q", res.Top0, res.Top1)
	}
	if !strings.HasPrefix(res.Rset, "+OK") || res.Noop != "+OK" || !strings.Contains(res.RetrDeleted, "-ERR Message 1 already deleted") ||
		!strings.HasPrefix(res.Quit, "+OK") {
		t.Errorf("RSET %q, NOOP %q, RETR deleted %q, QUIT %q", res.Rset, res.Noop, res.RetrDeleted, res.Quit)
	}
}
