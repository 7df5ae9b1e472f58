package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	qr "github.com/piglig/go-qr"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/testkit"
)

// screenshotDir is where TestWebUIInChromium writes its screenshots for a
// person to look at: $PETREL_SCREENSHOTS, else petrel-webui-screenshots in
// the temporary directory.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("PETREL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "petrel-webui-screenshots")
	}
	must(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestWebUIInChromium drives the web admin and the account page of a
// running server in Debian's headless chromium (README "Web and API"):
// log in, create a domain and an account, reset its password, see a
// queued message, refuse a POST without the CSRF token, log out, log in
// to the account page with the reset password, add a filter rule;
// screenshots of the dashboard, the account and the filters pages.
func TestWebUIInChromium(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	chrome := interopTool(t, "chromium")
	httpsAddr := testkit.FreeAddr(t)
	smtpAddr := testkit.FreeAddr(t)
	// Mail to remote.example goes to a closed port: it stays queued.
	e := newEnv(t, webUIConfig(t, httpsAddr, smtpAddr, fmt.Sprintf("[smtp]\nverify_senders = false\n"+
		"[delivery.routes]\n\"remote.example\" = %q\n", testkit.FreeAddr(t))))
	e.ok("", "domain", "add", "example.org")
	e.ok("admin-password-123\n", "user", "add", "admin@example.org", "--password-stdin")
	e.ok("", "user", "admin", "admin@example.org", "on")
	serveInBackground(t, e)
	queueID := enqueueRemote(t, e)
	// Some traffic for the dashboard's charts: messages in, and refused
	// relaying.
	msg := []byte("Subject: hello\r\n\r\nhello\r\n")
	for range 6 {
		must(t, e2eSend(smtpAddr, "client.example", "sender@client.example", []string{"admin@example.org"}, msg))
	}
	for range 2 {
		if err := e2eSend(smtpAddr, "client.example", "sender@client.example", []string{"x@elsewhere.example"}, msg); err == nil {
			t.Error("relaying to elsewhere.example was accepted")
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.Flag("ignore-certificate-errors", true), chromedp.WindowSize(1280, 1000))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	base := "https://" + httpsAddr
	dir := screenshotDir(t)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(what, sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return strings.TrimSpace(s)
	}
	shoot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // quality 100: PNG
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		writeShot(t, dir, name, png)
	}

	run("admin login",
		chromedp.Navigate(base+"/admin/login"),
		chromedp.SendKeys(chromedp.CSS("#username"), "admin@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), "admin-password-123"),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#queued")))
	if got := text("dashboard", "h1"); got != "Dashboard" {
		t.Errorf("after login: %q, want the dashboard", got)
	}
	if got := text("chart", "figcaption"); !strings.HasPrefix(got, "Messages in, last 24 h: 6 ") {
		t.Errorf("the first chart says %q, want the 6 messages in", got)
	}

	run("add a domain",
		chromedp.Navigate(base+"/admin/domains"),
		chromedp.SendKeys(chromedp.CSS("#new-domain"), "example.net"),
		chromedp.Click(chromedp.CSS("#add-domain")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text("domain added", ".flash"); got != "Domain example.net added." {
		t.Errorf("adding a domain: %q", got)
	}

	run("add an account",
		chromedp.Navigate(base+"/admin/accounts"),
		chromedp.SendKeys(chromedp.CSS("#new-account"), "bob@example.net"),
		chromedp.Click(chromedp.CSS("#add-account")),
		chromedp.WaitVisible(chromedp.CSS("#secret")))
	first := text("generated password", "#secret")
	run("reset the password",
		chromedp.Navigate(base+"/admin/accounts"),
		chromedp.WaitVisible(chromedp.CSS("#add-account")),
		chromedp.Click(chromedp.CSS(`form[action="/admin/accounts/password"]:has(input[value="bob@example.net"]) button`)),
		chromedp.WaitVisible(chromedp.CSS("#secret")))
	if got := text("reset flash", ".flash"); got != "Password of bob@example.net changed." {
		t.Errorf("reset: %q", got)
	}
	reset := text("reset password", "#secret")
	shoot("accounts.png")
	if reset == "" || reset == first {
		t.Fatalf("reset password %q, first %q: want a new one", reset, first)
	}

	run("see the queue",
		chromedp.Navigate(base+"/admin/queue"),
		chromedp.WaitVisible(chromedp.CSS("#queue")))
	if q := text("queue", "#queue"); !strings.Contains(q, queueID) || !strings.Contains(q, "someone@remote.example") {
		t.Errorf("the queue page shows %q, want %s to someone@remote.example", q, queueID)
	}
	shoot("queue.png")

	// The domain form posted with the session's cookie but without its
	// token (removed from the page first): 403, and no domain added.
	run("CSRF-less post",
		chromedp.Navigate(base+"/admin/domains"),
		chromedp.WaitVisible(chromedp.CSS("#add-domain")))
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](
		`document.querySelector('form[action="/admin/domains"] input[name=csrf]').remove(); true`)); err != nil {
		t.Fatalf("removing the token: %v", err)
	}
	run("post the form",
		chromedp.SendKeys(chromedp.CSS("#new-domain"), "evil.example"),
		chromedp.Click(chromedp.CSS("#add-domain")),
		chromedp.WaitNotPresent(chromedp.CSS("#add-domain")))
	if body := text("refusal", "body"); !strings.Contains(body, "no valid CSRF token") {
		t.Errorf("a POST without the CSRF token shows %q, want the 403 refusal", body)
	}
	if out := e.ok("", "domain", "list"); strings.Contains(out, "evil.example") {
		t.Errorf("a CSRF-less POST added a domain: %s", out)
	}

	run("dashboard",
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS("#queued")))
	shoot("dashboard.png")

	run("log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS("#login")))
	loc, err := chromedp.Run(bctx, chromedp.Location())
	must(t, err)
	if !strings.HasSuffix(loc, "/admin/login") {
		t.Errorf("after logout /admin/ shows %s, want the login page", loc)
	}

	run("account login with the reset password",
		chromedp.Navigate(base+"/account/login"),
		chromedp.SendKeys(chromedp.CSS("#username"), "bob@example.net"),
		chromedp.SendKeys(chromedp.CSS("#password"), reset),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#address")),
		chromedp.SendKeys(chromedp.CSS("#app-name"), "phone"),
		chromedp.SendKeys(chromedp.CSS("#app-current"), reset),
		chromedp.Click(chromedp.CSS("#add-app-password")),
		chromedp.WaitVisible(chromedp.CSS("#secret")))
	if got := text("account", "#address"); got != "bob@example.net" {
		t.Errorf("account page of %q", got)
	}
	shoot("account.png")
	// The QR code, as the browser drew it, holds the profile's address.
	png, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("#qr")))
	must(t, err)
	img, _, err := image.Decode(bytes.NewReader(png))
	must(t, err)
	want := "https://mail.example.org/apple/mail.mobileconfig?emailaddress=bob%40example.net"
	if got, err := qr.Decode(img); err != nil || got != want {
		t.Errorf("the QR code on the account page reads %q (%v), want %q", got, err, want)
	}

	run("add a filter rule",
		chromedp.Click(chromedp.CSS("#filters-link")),
		chromedp.WaitVisible(chromedp.CSS("#rule-form")),
		chromedp.SendKeys(chromedp.CSS("#rule-value"), "Report"),
		chromedp.SendKeys(chromedp.CSS("#rule-arg"), "Work"),
		chromedp.Click(chromedp.CSS("#save-rule")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text("rule added", "#rules tbody"); !strings.Contains(got, "If Subject contains “Report”: file into “Work”") {
		t.Errorf("the rule list shows %q", got)
	}
	if out := e.ok("", "sieve", "list", "bob@example.net"); !strings.Contains(out, "petrel-rules") {
		t.Errorf("petrel sieve list after saving a rule: %q", out)
	}
	shoot("filters.png")
}

func writeShot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	if len(png) == 0 {
		t.Errorf("screenshot %s is empty", name)
		return
	}
	p := filepath.Join(dir, name)
	must(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot: %s", p)
}

// enqueueRemote queues a message to someone@remote.example in the
// server's store, beside the running server, and returns its queue ID.
func enqueueRemote(t *testing.T, e *env) string {
	t.Helper()
	_, st := e.openConfiguredStore()
	q := queue.New(queue.Config{}, queue.Deps{Store: st, Log: slog.New(slog.DiscardHandler)})
	from, _ := mailaddr.Parse("admin@example.org")
	to, _ := mailaddr.Parse("someone@remote.example")
	const body = "Subject: queued\r\n\r\nhello\r\n"
	id, err := q.Enqueue(context.Background(), &envelope.Envelope{ID: "web-ui-test", From: from}, strings.NewReader(body),
		int64(len(body)), []envelope.Recipient{{Addr: to}})
	must(t, err)
	return id
}
