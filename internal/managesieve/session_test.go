package managesieve

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/sievescripts"
	"github.com/petrelmail/petrel/internal/testkit"
)

// The greeting lists the capabilities of RFC 5804 §1.7: the SIEVE
// extensions are the interpreter's, SASL is empty while credentials
// cannot be sent (no TLS yet), STARTTLS is offered; after STARTTLS the
// capabilities come again, with SASL and without STARTTLS, and PLAIN
// logs in; OWNER then names the account.
func TestGreetingSTARTTLSAndLogin(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.AllowInsecureAuth = false })
	cl, g := e.dial()
	if v, ok := hasCap(g.data, "SIEVE"); !ok || !strings.Contains(" "+v+" ", " fileinto ") || !strings.Contains(v, "vacation") {
		t.Errorf("SIEVE capability = %q, want the interpreter's extensions", v)
	}
	if v, ok := hasCap(g.data, "SASL"); !ok || v != "" {
		t.Errorf("SASL before TLS = %q (%v), want empty", v, ok)
	}
	for _, c := range []string{"STARTTLS", "VERSION", "IMPLEMENTATION", "MAXREDIRECTS"} {
		if _, ok := hasCap(g.data, c); !ok {
			t.Errorf("greeting lacks %s: %q", c, g.data)
		}
	}
	r := cl.expect(`AUTHENTICATE "PLAIN" "`+plain(testUser, testPass)+`"`, "NO (ENCRYPT-NEEDED)")
	_ = r
	if n := e.checks.n.Load(); n != 0 {
		t.Fatalf("a password was checked before TLS (%d checks)", n)
	}
	// A command pipelined after STARTTLS is dropped, never run over TLS.
	cl.Send("STARTTLS\r\nLOGOUT\r\n")
	if r := cl.response(); r.status != `OK "Begin TLS negotiation"` {
		t.Fatalf("STARTTLS: %q", r.status)
	}
	tc := tls.Client(cl.C, e.client)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tl := &client{testkit.Wrap(t, tc)}
	caps := tl.response()
	if !strings.HasPrefix(caps.status, "OK") {
		t.Fatalf("after STARTTLS: %q", caps.status)
	}
	if v, _ := hasCap(caps.data, "SASL"); v != "SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN" {
		t.Errorf("SASL over TLS = %q, want SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN", v)
	}
	if _, ok := hasCap(caps.data, "STARTTLS"); ok {
		t.Errorf("STARTTLS offered again over TLS")
	}
	tl.expect("STARTTLS", "NO")
	tl.ok(`AUTHENTICATE "PLAIN" "` + plain(testUser, testPass) + `"`)
	if v, _ := hasCap(tl.ok("CAPABILITY").data, "OWNER"); v != testUser {
		t.Errorf("OWNER = %q, want %s", v, testUser)
	}
	tl.ok("NOOP")
	if r := tl.ok(`NOOP "tag-1"`); r.status != `OK (TAG "tag-1") "Done"` {
		t.Errorf("NOOP with a tag: %q", r.status)
	}
	tl.ok("LOGOUT")
	tl.Closed()
}

// AUTHENTICATE without an initial response: the server's challenges are
// base64 strings, answered by strings (quoted or literal); "*" cancels;
// LOGIN asks for the user name, then the password; wrong credentials
// and a PLAIN authorization identity of another user get NO; an app
// password logs in like the main one.
func TestAuthenticateExchanges(t *testing.T) {
	e := newEnv(t, nil)
	cl, _ := e.dial()
	cl.Send("AUTHENTICATE \"PLAIN\"\r\n")
	if l := cl.Line(); l != `""` {
		t.Fatalf("PLAIN challenge = %q, want an empty string", l)
	}
	cl.expect(`"*"`, "NO")
	cl.Send("AUTHENTICATE \"LOGIN\"\r\n")
	if l := cl.Line(); l != `"`+base64.StdEncoding.EncodeToString([]byte("Username:"))+`"` {
		t.Fatalf("LOGIN challenge = %q", l)
	}
	cl.Send(literal(base64.StdEncoding.EncodeToString([]byte(testUser))) + "\r\n")
	if l := cl.Line(); l != `"`+base64.StdEncoding.EncodeToString([]byte("Password:"))+`"` {
		t.Fatalf("LOGIN second challenge = %q", l)
	}
	cl.expect(`"`+base64.StdEncoding.EncodeToString([]byte("wrong"))+`"`, "NO")
	proxy := base64.StdEncoding.EncodeToString([]byte("bob@example.org\x00" + testUser + "\x00" + testPass))
	cl.expect(`AUTHENTICATE "PLAIN" "`+proxy+`"`, `NO "Invalid user name or password"`)
	cl.expect(`AUTHENTICATE "CRAM-MD5"`, `NO "Unsupported`)
	cl.Send("AUTHENTICATE \"PLAIN\"\r\n")
	cl.Line()
	cl.ok(`"` + plain(testUser, testPass) + `"`)
	cl.expect(`AUTHENTICATE "PLAIN" "`+plain(testUser, testPass)+`"`, "NO")
	cl.ok("UNAUTHENTICATE")
	cl.expect("LISTSCRIPTS", "NO")

	secret, err := e.auth.AddAppPassword(context.Background(), testUser, "phone")
	if err != nil {
		t.Fatal(err)
	}
	app, _ := e.dial()
	app.ok(`AUTHENTICATE "PLAIN" "` + plain(testUser, secret) + `"`)
	app.ok("LISTSCRIPTS")
	if strings.Contains(e.logs.String(), testPass) || strings.Contains(e.logs.String(), secret) {
		t.Errorf("a password is in the log")
	}
}

// The life of scripts: PUTSCRIPT with a non-synchronizing literal, a
// synchronizing one and a quoted string, LISTSCRIPTS, SETACTIVE,
// GETSCRIPT returning the script as stored, DELETESCRIPT refused for the
// active script, RENAMESCRIPT keeping it active, SETACTIVE "" and the
// response codes of each refusal.
func TestScriptLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	cl := e.login()
	const one = "require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"X\"; }\r\n"
	cl.ok(`PUTSCRIPT "one" ` + literal(one))
	cl.ok(`PUTSCRIPT "two" {5}` + "\r\nkeep;")
	cl.ok(`PUTSCRIPT "th\"ree" "discard;"`)
	if r := cl.ok("LISTSCRIPTS"); strings.Join(r.data, "|") != `"one"|"th\"ree"|"two"` {
		t.Fatalf("LISTSCRIPTS = %q", r.data)
	}
	cl.expect(`SETACTIVE "nope"`, "NO (NONEXISTENT)")
	cl.ok(`SETACTIVE "one"`)
	if r := cl.ok("LISTSCRIPTS"); strings.Join(r.data, "|") != `"one" ACTIVE|"th\"ree"|"two"` {
		t.Fatalf("LISTSCRIPTS = %q", r.data)
	}
	if r := cl.ok(`GETSCRIPT "one"`); len(r.data) != 1 || r.data[0] != "{"+strconv.Itoa(len(one))+"}\r\n"+one {
		t.Fatalf("GETSCRIPT = %q, want the script as a literal", r.data)
	}
	cl.expect(`GETSCRIPT "nope"`, "NO (NONEXISTENT)")
	cl.expect(`DELETESCRIPT "one"`, "NO (ACTIVE)")
	cl.expect(`RENAMESCRIPT "one" "two"`, "NO (ALREADYEXISTS)")
	cl.expect(`RENAMESCRIPT "nope" "four"`, "NO (NONEXISTENT)")
	cl.expect(`RENAMESCRIPT "one" "a/b"`, "NO")
	cl.ok(`RENAMESCRIPT "one" "main"`)
	if r := cl.ok("LISTSCRIPTS"); strings.Join(r.data, "|") != `"main" ACTIVE|"th\"ree"|"two"` {
		t.Fatalf("LISTSCRIPTS after rename = %q", r.data)
	}
	if sc, err := e.scripts.Active(context.Background(), testUser); sc == nil || err != nil {
		t.Fatalf("delivery sees no active script: %v", err)
	}
	cl.ok(`SETACTIVE ""`)
	if sc, _ := e.scripts.Active(context.Background(), testUser); sc != nil {
		t.Fatalf("a script is still active after SETACTIVE \"\"")
	}
	cl.ok(`DELETESCRIPT "main"`)
	cl.expect(`DELETESCRIPT "main"`, "NO (NONEXISTENT)")
	if r := cl.ok("LISTSCRIPTS"); strings.Join(r.data, "|") != `"th\"ree"|"two"` {
		t.Fatalf("LISTSCRIPTS after delete = %q", r.data)
	}
	cl.expect(`PUTSCRIPT "bad\u0085name" "keep;"`, "NO")
	cl.expect(`PUTSCRIPT "x" "keep;" "extra"`, "NO")
	cl.expect(`HAVESPACE "x" "10"`, "NO")
	cl.expect(`FROB`, "NO")
	cl.ok("NOOP") // errors after login do not end the session
}

// A script that does not compile is refused by PUTSCRIPT and CHECKSCRIPT
// with the compiler's line and column, and nothing is stored.
func TestCompileErrors(t *testing.T) {
	e := newEnv(t, nil)
	cl := e.login()
	const bad = "require \"fileinto\";\nfileinto \"x\"\nkeep;\n"
	r := cl.expect(`PUTSCRIPT "bad" `+literal(bad), "NO ")
	if !strings.Contains(r.status, `"line 3, column 1: `) {
		t.Errorf("PUTSCRIPT of a broken script: %q, want the line and column", r.status)
	}
	if infos, _ := e.scripts.List(context.Background(), testUser); len(infos) != 0 {
		t.Errorf("a broken script was stored: %+v", infos)
	}
	if r2 := cl.expect(`CHECKSCRIPT `+literal(bad), "NO "); r2.status != r.status {
		t.Errorf("CHECKSCRIPT = %q, PUTSCRIPT = %q", r2.status, r.status)
	}
	r = cl.expect(`CHECKSCRIPT "frobnicate;"`, "NO ")
	if !strings.Contains(r.status, "line 1, column 1") {
		t.Errorf("unknown command: %q", r.status)
	}
	cl.ok(`CHECKSCRIPT ` + literal("keep;\n"))
	cl.expect(`CHECKSCRIPT `+literal("keep;\xff"), "NO")
}

// Quotas: HAVESPACE and PUTSCRIPT answer QUOTA/MAXSIZE over the script
// size and QUOTA/MAXSCRIPTS over the script count; a script somewhat
// over the size is read and refused and the session goes on; a literal
// far over it ends the session with BYE.
func TestQuotas(t *testing.T) {
	const max = 200
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxScriptSize = max })
	cl := e.login()
	cl.ok(`HAVESPACE "a" 200`)
	cl.expect(`HAVESPACE "a" 201`, "NO (QUOTA/MAXSIZE)")
	cl.expect(`PUTSCRIPT "a" `+literal("#"+strings.Repeat("x", max)+"\nkeep;"), "NO (QUOTA/MAXSIZE)")
	cl.expect(`CHECKSCRIPT `+literal("#"+strings.Repeat("x", max)+"\nkeep;"), "NO (QUOTA/MAXSIZE)")
	for i := range sievescripts.MaxScripts {
		cl.ok(`PUTSCRIPT "s` + strconv.Itoa(i) + `" "keep;"`)
	}
	cl.expect(`HAVESPACE "new" 10`, "NO (QUOTA/MAXSCRIPTS)")
	cl.ok(`HAVESPACE "s0" 10`) // replacing fits
	cl.expect(`PUTSCRIPT "new" "keep;"`, "NO (QUOTA/MAXSCRIPTS)")
	cl.ok(`PUTSCRIPT "s0" "discard;"`)
	cl.Send(`PUTSCRIPT "huge" {` + strconv.Itoa(max+LiteralSlack+1) + "+}\r\n")
	if r := cl.response(); r.status != `BYE (QUOTA/MAXSIZE) "String too large, closing connection"` {
		t.Fatalf("a literal over the bound: %q", r.status)
	}
	cl.Closed()
}
