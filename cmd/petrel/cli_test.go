package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// env is a data directory with a configuration file pointing at it.
type env struct {
	t       *testing.T
	dir     string
	config  string
	dataDir string
}

// newEnv writes a configuration whose data_dir is in a temporary directory;
// extra is appended to the file.
func newEnv(t *testing.T, extra string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, config: filepath.Join(dir, "petrel.toml"), dataDir: filepath.Join(dir, "data")}
	body := "hostname = \"mail.example.org\"\ndata_dir = \"" + e.dataDir + "\"\n" + extra
	if err := os.WriteFile(e.config, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// result is the outcome of one command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs petrel with args and --config, with stdin as standard input.
func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--config", e.config)
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// ok runs a command that must succeed and returns its standard output.
func (e *env) ok(stdin string, args ...string) string {
	e.t.Helper()
	r := e.run(stdin, args...)
	if r.code != 0 {
		e.t.Fatalf("petrel %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// snapshot is everything the CLI can list.
func (e *env) snapshot() [3]string {
	e.t.Helper()
	return [3]string{e.ok("", "domain", "list"), e.ok("", "user", "list"), e.ok("", "alias", "list")}
}

func TestDirectoryCommands(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("", "--config", e.config, "domain", "add", "example.net") // flags first
	if got := e.ok("", "domain", "list"); got != "example.net\nexample.org\n" {
		t.Errorf("domain list = %q", got)
	}
	if out := e.ok("s3cret-Pass\n", "user", "add", "--password-stdin", "alice@example.org"); out != "" {
		t.Errorf("user add --password-stdin printed %q, want nothing", out)
	}
	out := e.ok("", "user", "add", "bob@example.org")
	if pw := strings.TrimSpace(out); len(pw) < 20 || strings.ContainsAny(pw, " \n") {
		t.Errorf("user add printed %q, want one generated password", out)
	}
	if got := e.ok("", "user", "list"); got != "alice@example.org\nbob@example.org\n" {
		t.Errorf("user list = %q", got)
	}
	first := e.ok("", "user", "passwd", "bob@example.org")
	second := e.ok("", "user", "passwd", "bob@example.org")
	if first == second || strings.TrimSpace(first) == "" {
		t.Errorf("user passwd printed %q then %q, want two different passwords", first, second)
	}
	e.ok("new-pass\n", "user", "passwd", "alice@example.org", "--password-stdin")

	e.ok("", "alias", "add", "info@example.org", "alice@example.org,bob@example.org", "carol@remote.example")
	e.ok("", "alias", "add", "@example.net", "alice@example.org")
	want := "@example.net\talice@example.org\ninfo@example.org\talice@example.org,bob@example.org,carol@remote.example\n"
	if got := e.ok("", "alias", "list"); got != want {
		t.Errorf("alias list = %q, want %q", got, want)
	}
	e.ok("", "alias", "del", "info@example.org")
	e.ok("", "user", "del", "bob@example.org")
	if got := e.ok("", "user", "list"); got != "alice@example.org\n" {
		t.Errorf("user list after del = %q", got)
	}
	if got := e.ok("", "alias", "list"); got != "@example.net\talice@example.org\n" {
		t.Errorf("alias list after del = %q", got)
	}
}

func TestDirectoryErrorsChangeNothing(t *testing.T) {
	e := newEnv(t, "")
	e.ok("", "domain", "add", "example.org")
	e.ok("pw\n", "user", "add", "alice@example.org", "--password-stdin")
	e.ok("", "alias", "add", "info@example.org", "alice@example.org")
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"user in unknown domain", "pw", []string{"user", "add", "x@unknown.example", "--password-stdin"}},
		{"duplicate user", "pw", []string{"user", "add", "alice@example.org", "--password-stdin"}},
		{"duplicate user, other case", "pw", []string{"user", "add", "ALICE@Example.ORG", "--password-stdin"}},
		{"user taken by alias", "pw", []string{"user", "add", "info@example.org", "--password-stdin"}},
		{"invalid address", "pw", []string{"user", "add", "not an address", "--password-stdin"}},
		{"empty password", "", []string{"user", "add", "new@example.org", "--password-stdin"}},
		{"empty password line", "\n", []string{"user", "passwd", "alice@example.org", "--password-stdin"}},
		{"generated password, unknown domain", "", []string{"user", "add", "y@unknown.example"}},
		{"passwd of unknown user", "pw", []string{"user", "passwd", "nobody@example.org", "--password-stdin"}},
		{"del unknown user", "", []string{"user", "del", "nobody@example.org"}},
		{"duplicate domain", "", []string{"domain", "add", "example.org"}},
		{"invalid domain", "", []string{"domain", "add", "exa mple..org"}},
		{"del unknown domain", "", []string{"domain", "del", "unknown.example"}},
		{"alias in unknown domain", "", []string{"alias", "add", "x@unknown.example", "alice@example.org"}},
		{"alias over a user", "", []string{"alias", "add", "alice@example.org", "info@example.org"}},
		{"invalid alias target", "", []string{"alias", "add", "sales@example.org", "not an address"}},
		{"del unknown alias", "", []string{"alias", "del", "nobody@example.org"}},
	}
	before := e.snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(tc.stdin, tc.args...)
			if r.code != exitFail {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, exitFail, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "petrel: ") || strings.Contains(r.stderr, "store:") {
				t.Errorf("stderr %q, want one clear line", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if after := e.snapshot(); after != before {
				t.Errorf("state changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t, "")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{}, "no command"}, // run adds --config
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"user"}, "missing subcommand"},
		{[]string{"user", "rename", "a@b.example"}, "unknown subcommand"},
		{[]string{"user", "add"}, "usage: petrel user add ADDRESS"},
		{[]string{"domain", "add", "a.example", "b.example"}, "usage: petrel domain add DOMAIN"},
		{[]string{"alias", "add", "a@b.example"}, "usage: petrel alias add ADDRESS TARGET"},
		{[]string{"domain", "add", "a.example", "--password-stdin"}, "--password-stdin is not accepted"},
		{[]string{"user", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"queue", "flush"}, `queue: unknown subcommand "flush"`},
		{[]string{"queue", "retry"}, "usage: petrel queue retry ID|--all"},
		{[]string{"queue", "list", "--all"}, "--all is accepted by retry only"},
		{[]string{"dkim"}, "dkim: missing subcommand (generate, remove or export)"},
		{[]string{"dkim", "rotate", "example.org"}, `dkim: unknown subcommand "rotate"`},
		{[]string{"dkim", "remove", "example.org"}, dkimRemoveUsage},
		{[]string{"dkim", "export", "example.org", "s", "x"}, dkimExportUsage},
		{[]string{"dkim", "export", "example.org", "s", "--selector", "t"}, dkimExportUsage},
		{[]string{"dkim", "generate"}, dkimUsage},
		{[]string{"dkim", "generate", "a.example", "b.example"}, dkimUsage},
		{[]string{"dkim", "generate", "a.example", "--algorithm", "dsa"}, "--algorithm must be rsa or ed25519"},
		{[]string{"dkim", "generate", "a.example", "--selector", "no_underscores"}, "--selector: invalid selector"},
		{[]string{"dkim", "generate", "a.example", "--selector="}, "flag needs an argument: -selector"},
		{[]string{"dkim", "generate", "a.example", "--password-stdin"}, "flag provided but not defined: -password-stdin"},
		{[]string{"dns"}, "usage: petrel dns [check] DOMAIN"},
		{[]string{"dns", "check", "example.org", "--password-stdin"}, "flag provided but not defined: -password-stdin"},
	}
	for _, tc := range cases {
		r := e.run("", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("petrel %v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if _, err := os.Stat(e.dataDir); !os.IsNotExist(err) {
		t.Errorf("usage errors created the data directory (stat: %v)", err)
	}
}

func TestConfigErrorsListEveryKey(t *testing.T) {
	e := newEnv(t, "bogus_key = 1\n[listen]\nhttp = [\"not-an-address\"]\n[smtp]\nmax_recipients = \"many\"\n")
	for _, args := range [][]string{{"serve"}, {"user", "list"}, {"domain", "add", "example.org"}} {
		r := e.run("", args...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
		for _, key := range []string{"bogus_key", "listen.http", "smtp.max_recipients"} {
			if !strings.Contains(r.stderr, key) {
				t.Errorf("%v: stderr does not name %s:\n%s", args, key, r.stderr)
			}
		}
		if n := strings.Count(r.stderr, "\n"); n < 3 {
			t.Errorf("%v: %d lines on stderr, want one per problem:\n%s", args, n, r.stderr)
		}
	}
	if _, err := os.Stat(e.dataDir); !os.IsNotExist(err) {
		t.Errorf("a bad configuration created the data directory (stat: %v)", err)
	}
	var errb bytes.Buffer
	code := run(context.Background(), []string{"user", "list", "--config", filepath.Join(e.dir, "missing.toml")},
		strings.NewReader(""), io.Discard, &errb)
	if r := (result{code: code, stderr: errb.String()}); r.code != exitUsage || !strings.Contains(r.stderr, "missing.toml") {
		t.Errorf("missing config: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args    []string
		config  string
		stdinPw bool
		pos     []string
	}{
		{[]string{"add", "a@b", "--password-stdin", "--config", "x.toml"}, "x.toml", true, []string{"add", "a@b"}},
		{[]string{"--config=y.toml", "add", "-password-stdin", "a@b"}, "y.toml", true, []string{"add", "a@b"}},
		{[]string{"add", "--", "-weird@b"}, "", false, []string{"add", "-weird@b"}},
		{nil, "", false, nil},
	}
	for _, tc := range cases {
		opts, pos, err := parseArgs("user", tc.args, true)
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if opts.config != tc.config || opts.passwordStdin != tc.stdinPw || !reflect.DeepEqual(pos, tc.pos) {
			t.Errorf("%v: got %+v %q, want config %q stdin %v %q", tc.args, opts, pos, tc.config, tc.stdinPw, tc.pos)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	cases := []struct {
		args []string
		cmd  string
		rest []string
	}{
		{[]string{"user", "list"}, "user", []string{"list"}},
		{[]string{"--config", "f.toml", "user", "list"}, "user", []string{"--config", "f.toml", "list"}},
		{[]string{"-config=f.toml", "domain"}, "domain", []string{"-config=f.toml"}},
		{[]string{"--config", "f.toml"}, "", nil},
	}
	for _, tc := range cases {
		cmd, rest, ok := splitCommand(tc.args)
		if cmd != tc.cmd || ok != (tc.cmd != "") || !reflect.DeepEqual(rest, tc.rest) {
			t.Errorf("splitCommand(%q) = %q %q %v", tc.args, cmd, rest, ok)
		}
	}
	e := newEnv(t, "")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--config", e.config, "domain", "add", "example.org"},
		strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("--config before the command: exit %d: %s", code, errb.String())
	}
	if got := e.ok("", "domain", "list"); got != "example.org\n" {
		t.Errorf("domain list = %q", got)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if !strings.HasPrefix(out.String(), "petrel ") {
		t.Errorf("version printed %q", out.String())
	}
}
