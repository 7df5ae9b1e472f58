package spfcheck_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"testing"

	"github.com/petrelmail/petrel/internal/spfcheck"
)

// pyspfScript runs pyspf (Debian's python3-spf, on dnspython) for the
// cases on stdin against the DNS server named in argv[1] and prints the
// results as a JSON list.
const pyspfScript = `
import json, sys
import dns.resolver, spf
host, port = sys.argv[1].rsplit(":", 1)
res = dns.resolver.Resolver(configure=False)
res.nameservers, res.port, res.timeout, res.lifetime = [host], int(port), 1, 2
dns.resolver.default_resolver = res
out = []
for c in json.load(sys.stdin):
    r, _ = spf.check2(i=c["ip"], s=c["from"], h=c["helo"], querytime=10)
    out.append(r)
json.dump(out, sys.stdout)
`

// TestPyspf checks every MAIL FROM case against pyspf, an independent
// implementation (PETREL_INTEROP=1; .ci/run installs python3-spf).
func TestPyspf(t *testing.T) {
	if os.Getenv("PETREL_INTEROP") == "" {
		t.Skip("PETREL_INTEROP=1 compares with pyspf (python3-spf)")
	}
	r, srv := resolver(t)
	srv.Add(t, zone...)
	srv.ServFail("broken.example")
	cases := mailFromCases()
	type pyCase struct {
		IP   string `json:"ip"`
		Helo string `json:"helo"`
		From string `json:"from"`
	}
	var in []pyCase
	for _, c := range cases {
		helo := c.helo
		if helo == "" {
			helo = "mx.client.example"
		}
		in = append(in, pyCase{netip.MustParseAddr(c.ip).Unmap().String(), helo, c.from})
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", pyspfScript, srv.Addr)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyspf: %v\n%s", err, stderr.String())
	}
	var py []string
	if err := json.Unmarshal(outb, &py); err != nil || len(py) != len(cases) {
		t.Fatalf("pyspf output %q: %v", outb, err)
	}
	agree := map[string]int{}
	for i, c := range cases {
		ours, _ := spfcheck.Check(ctx(t), r, netip.MustParseAddr(c.ip), in[i].Helo, c.from)
		if ours.Result == py[i] {
			agree[py[i]]++
			continue
		}
		t.Errorf("%s: ours %s (%s), pyspf %s", c.name, ours.Result, ours.Reason, py[i])
	}
	t.Logf("agreed with pyspf: %v", agree)
}
