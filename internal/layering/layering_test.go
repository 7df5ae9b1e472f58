package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// levels places every internal package (path below internal/) in its layer
// of docs/architecture.md §Layers. A new package must be added here (and
// to docs/architecture.md §Layers and §Packages).
func levels() map[string]int {
	return map[string]int{
		// header (below L0): the one reader of header sections and the
		// From rule, shared by msgmeta and mime7bit (L0) and the rest;
		// headertest: the tricky From cases its readers are tested on.
		"header": -1, "header/headertest": -1,
		"mailaddr": 0, "obs": 0, "spool": 0, "msgmeta": 0, "netserve": 0,
		// netservetest: slow and silent clients for tests of netserve's users.
		"netserve/netservetest": 0,
		// mime7bit: 8-bit to 7-bit conversion for servers without 8BITMIME,
		// and of lines over 998 octets for any server.
		"mime7bit": 0,
		// dane: TLSA verification of a server's certificate chain (RFC 7672).
		"dane": 0,
		// sieve: the Sieve interpreter (issue 18); it decides, its
		// callers deliver.
		"sieve": 0,
		// dnslist: DNS blocklist and allowlist specs and query names (RFC 5782).
		"dnslist": 0,
		// scram: SCRAM-SHA-256(-PLUS) messages and keys (RFC 5802, RFC 7677).
		"scram": 0,
		// inflate: a DEFLATE decoder with a small idle footprint (IMAP COMPRESS).
		"inflate": 0,
		// mutf7: modified UTF-7 mailbox names (RFC 3501 §5.1.3).
		"mutf7": 0,
		// maildir, mbox: the Maildir(++) and mbox formats of petrel
		// import and export (README "Migrating to Petrel").
		"maildir": 1, "mbox": 0,
		// extsort: an external merge sort (a Maildir folder's listing).
		"extsort": 0,
		// envelope: the one SMTP/LMTP transaction type, from smtpd to the queue.
		"envelope":  1,
		"smtpreply": 1, "config": 1, "dnsr": 1, "store": 1, "certs": 1,
		// authguard: failed-login throttling shared by POP3, IMAP, submission.
		"authguard": 1,
		// sieverules: the account page's rule editor's rules <-> a Sieve
		// script (issue 18).
		"sieverules": 1,
		// dnstest: a loopback DNS server for tests of dnsr's users.
		"dnsr/dnstest": 1,
		// acme: ACME certificates (certmagic) on the store's KV;
		// acmetest: pebble in the test process, for tests only.
		"acme": 2, "acme/acmetest": 2,
		"store/sqlite": 2, "store/postgres": 2, "accounts": 2, "smtpclient": 2,
		"imapmsg": 2,
		// imapsort: SORT and THREAD orders from msgmeta (RFC 5256, 5957).
		"imapsort": 1,
		// imapacl: the rights of IMAP ACLs (RFC 4314) and the table of
		// what each command needs.
		"imapacl": 0,
		// Mail authentication building blocks (issue 7): each one check.
		"dkim": 2, "spfcheck": 2, "dmarc": 2,
		// storetest sits above store; its imports are restricted further below.
		"store/storetest": 2,
		// storecopy: the copy of one store into another (petrel store copy).
		"storecopy": 2,
		// mailimport: petrel import and export (Maildir, mbox) through
		// the store's batch paths.
		"mailimport": 2,
		// tlsrpt: SMTP TLS reporting (RFC 8460): outcomes counted in the
		// store's key/value entries, the daily reports.
		"tlsrpt": 2,
		// sievescripts: the accounts' Sieve scripts in the store's KV.
		"sievescripts": 2,
		// vacation: vacation replies (RFC 5230, RFC 3834), tracked per
		// sender in the store's KV.
		"vacation": 2,
		// srs: the Sender Rewriting Scheme of forwarded mail, its key
		// in the store's KV.
		"srs": 2,
		// mtasts: MTA-STS policies (RFC 8461), found for outbound mail
		// (DNS, HTTPS, a cache in the store's KV) and served for ours.
		"mtasts": 2,
		// rspamd: the content filter's client (scan, learn) over HTTP.
		"rspamd": 2,
		// sendlimit: per-account sending limits, counted in the store's KV.
		"sendlimit": 2,
		// greylist: greylisting triplets in the store's KV (RFC 6647).
		"greylist": 2,
		// msgauth runs SPF, DKIM and DMARC on one message and writes
		// Authentication-Results.
		"msgauth": 3,
		// dnsplan: the DNS records a domain publishes and their check
		// (petrel dns), called through ops.
		"dnsplan": 3,
		// autoconfig: client autoconfiguration documents (Thunderbird,
		// Outlook autodiscover, Apple profiles) from the listen keys.
		"autoconfig": 3,
		// backup: online backups (snapshot, incremental body files,
		// manifest) and their restore and verification.
		"backup": 3,
		// testkit: helpers for the tests of several packages (a store
		// with accounts, TLS, listeners, a line client); only tests
		// import it, and it may open the SQLite backend.
		"testkit": 3,
		"queue":   4, "delivery": 4,
		"smtpd": 5, "imapd": 5, "pop3d": 5, "admin": 5,
		// managesieve: the ManageSieve server (RFC 5804) on sievescripts.
		"managesieve": 5,
		// ops: the operations layer (docs/architecture.md §Operations),
		// the administrative actions the CLI and a later admin API call.
		"ops": 5,
		// screen: connection screening of the MX (pregreet, DNS lists,
		// rates) and greylisting's exemptions, on msgauth's verdict.
		"screen": 4,
		// webapi: the admin JSON API (/api/v1/) on ops.
		"webapi": 6,
		// webui: the web admin (/admin/) and account page (/account/) on ops.
		"webui": 6,
	}
}

// self is this package; it has no code to check.
const self = "layering"

// pkg is the part of `go list -json` output the check needs.
type pkg struct {
	ImportPath string
	Imports    []string // non-test imports
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// isBackend reports whether rel is (in) a concrete storage backend: only
// cmd/ (and testkit, which only tests import) may import those.
func isBackend(rel string) bool {
	for _, b := range []string{"store/sqlite", "store/postgres"} {
		if rel == b || strings.HasPrefix(rel, b+"/") {
			return true
		}
	}
	return false
}

// checker holds the module path and the level table.
type checker struct {
	module string
	levels map[string]int
}

// internalRel returns path relative to the module's internal/ directory.
func (c checker) internalRel(path string) (string, bool) {
	return strings.CutPrefix(path, c.module+"/internal/")
}

// check returns one message per violation, sorted.
func (c checker) check(pkgs []pkg) []string {
	var bad []string
	for _, p := range pkgs {
		bad = append(bad, c.checkPkg(p)...)
	}
	sort.Strings(bad)
	return bad
}

func (c checker) checkPkg(p pkg) []string {
	var bad []string
	isCmd := strings.HasPrefix(p.ImportPath, c.module+"/cmd/")
	rel, internal := c.internalRel(p.ImportPath)
	mayOpenBackend := isCmd || (internal && rel == "testkit")
	if internal && rel == self {
		return nil
	}
	level, placed := c.levels[rel]
	if internal && !placed {
		bad = append(bad, fmt.Sprintf("internal/%s is not placed in a layer: add it to levels() in internal/layering and to docs/architecture.md §Layers", rel))
	}
	for _, imp := range p.Imports {
		if internal && !c.allowedThirdParty(rel, imp) {
			bad = append(bad, fmt.Sprintf("internal/%s imports %s: not allowed for this package", rel, imp))
		}
		irel, ok := c.internalRel(imp)
		if !ok {
			continue
		}
		switch {
		case isBackend(irel) && !mayOpenBackend:
			bad = append(bad, fmt.Sprintf("%s imports storage backend internal/%s: only cmd/ may", p.ImportPath, irel))
		case irel == "store/storetest" || irel == "testkit" || irel == "acme/acmetest":
			bad = append(bad, fmt.Sprintf("%s imports internal/%s: only tests may", p.ImportPath, irel))
		case internal && placed:
			if il, ok := c.levels[irel]; ok && il >= level {
				bad = append(bad, fmt.Sprintf("internal/%s (L%d) imports internal/%s (L%d): imports must point down", rel, level, irel, il))
			}
		}
	}
	return bad
}

// allowedThirdParty applies the per-package import restrictions: storetest
// uses only the store API (store, msgmeta) and the standard library,
// mailaddr only the standard library and golang.org/x, authguard only the
// standard library and netserve (for ClientKey, the one definition of a
// client), mime7bit only the standard library and header (the one header
// reader), and header only the standard library. ops and dnsplan, the
// operations layer, import neither flag nor os: they parse no flags, print
// nothing to the standard streams and never exit (docs/architecture.md
// §Operations).
func (c checker) allowedThirdParty(rel, imp string) bool {
	switch rel {
	case "ops", "dnsplan":
		return imp != "flag" && imp != "os"
	case "store/storetest":
		return isStdlib(imp) || imp == c.module+"/internal/store" || imp == c.module+"/internal/msgmeta"
	case "authguard":
		return isStdlib(imp) || imp == c.module+"/internal/netserve"
	case "mime7bit":
		return isStdlib(imp) || imp == c.module+"/internal/header"
	case "header", "header/headertest":
		return isStdlib(imp)
	case "mailaddr":
		return isStdlib(imp) || strings.HasPrefix(imp, "golang.org/x/")
	}
	return true
}

// listPackages runs `go list -json ./...` at the module root.
func listPackages(t *testing.T) (module string, pkgs []pkg) {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Module", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			pkg
			Module *struct{ Path string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Module != nil {
			module = p.Module.Path
		}
		pkgs = append(pkgs, p.pkg)
	}
	if module == "" || len(pkgs) == 0 {
		t.Fatal("go list found no packages of the module")
	}
	return module, pkgs
}

func TestLayering(t *testing.T) {
	module, pkgs := listPackages(t)
	for _, v := range (checker{module: module, levels: levels()}).check(pkgs) {
		t.Error(v)
	}
}

// TestCheckerRejectsBadEdges proves the checker on a synthetic import list.
func TestCheckerRejectsBadEdges(t *testing.T) {
	const m = "example.org/petrel"
	in := func(rel string) string { return m + "/internal/" + rel }
	c := checker{module: m, levels: levels()}
	good := []pkg{
		{ImportPath: m + "/cmd/petrel", Imports: []string{in("store/sqlite"), in("admin"), in("config"), "os"}},
		{ImportPath: in("accounts"), Imports: []string{in("store"), in("mailaddr"), "golang.org/x/crypto/argon2"}},
		{ImportPath: in("store/sqlite"), Imports: []string{in("store"), in("obs"), "modernc.org/sqlite"}},
		{ImportPath: in("store/storetest"), Imports: []string{in("store"), in("msgmeta"), "testing"}},
		{ImportPath: in("mailaddr"), Imports: []string{"strings", "golang.org/x/net/idna"}},
		{ImportPath: in("smtpd"), Imports: []string{in("delivery"), "github.com/emersion/go-smtp"}},
		{ImportPath: in("ops"), Imports: []string{in("queue"), in("accounts"), in("dnsplan"), "context", "net/http"}},
		{ImportPath: in("testkit"), Imports: []string{in("store/sqlite"), in("accounts"), in("certs"), "testing"}},
		{ImportPath: in(self)},
	}
	if got := c.check(good); len(got) != 0 {
		t.Errorf("good graph rejected:\n%s", strings.Join(got, "\n"))
	}
	cases := []struct {
		p    pkg
		want string
	}{
		{pkg{in("smtpd"), []string{in("store/sqlite")}}, "imports storage backend internal/store/sqlite"},
		{pkg{in("accounts"), []string{in("store/postgres")}}, "imports storage backend internal/store/postgres"},
		{pkg{m + "/bench/x", []string{in("store/sqlite")}}, "only cmd/ may"},
		{pkg{in("imapd"), []string{in("pop3d")}}, "internal/imapd (L5) imports internal/pop3d (L5)"},
		{pkg{in("store"), []string{in("accounts")}}, "internal/store (L1) imports internal/accounts (L2)"},
		{pkg{in("mailaddr"), []string{in("obs")}}, "internal/mailaddr (L0) imports internal/obs (L0)"},
		{pkg{in("newthing"), nil}, "internal/newthing is not placed"},
		{pkg{in("store/storetest"), []string{in("accounts")}}, "internal/store/storetest imports " + in("accounts")},
		{pkg{in("store/storetest"), []string{"github.com/stretchr/testify"}}, "not allowed"},
		{pkg{in("mailaddr"), []string{"github.com/some/lib"}}, "internal/mailaddr imports github.com/some/lib"},
		{pkg{in("delivery"), []string{in("store/storetest")}}, "only tests may"},
		{pkg{in("pop3d"), []string{in("testkit")}}, "pop3d imports internal/testkit: only tests may"},
		{pkg{m + "/cmd/petrel", []string{in("testkit")}}, "only tests may"},
		{pkg{m + "/cmd/petrel", []string{in("acme/acmetest")}}, "cmd/petrel imports internal/acme/acmetest: only tests may"},
		{pkg{in("authguard"), []string{in("obs")}}, "internal/authguard imports " + in("obs")},
		{pkg{in("mime7bit"), []string{"github.com/emersion/go-message"}}, "internal/mime7bit imports github.com/emersion/go-message"},
		{pkg{in("ops"), []string{"flag"}}, "internal/ops imports flag: not allowed"},
		{pkg{in("dnsplan"), []string{"os"}}, "internal/dnsplan imports os: not allowed"},
		{pkg{in("dnsplan"), []string{in("ops")}}, "internal/dnsplan (L3) imports internal/ops (L5)"},
	}
	for _, tc := range cases {
		got := c.check([]pkg{tc.p})
		if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("%s -> %v: got %q, want a violation containing %q", tc.p.ImportPath, tc.p.Imports, got, tc.want)
		}
	}
}
