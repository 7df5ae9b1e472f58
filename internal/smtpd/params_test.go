package smtpd

import (
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

func TestSplitPath(t *testing.T) {
	cases := []struct {
		arg, path, params string
		ok                bool
	}{
		{"FROM:<a@b>", "<a@b>", "", true},
		{"from: <a@b> SIZE=10  BODY=8BITMIME", "<a@b>", "SIZE=10  BODY=8BITMIME", true},
		{"FROM:<>", "<>", "", true},
		{`FROM:<"x> y"@b> SIZE=1`, `<"x> y"@b>`, "SIZE=1", true},
		{`FROM:<"x\"> y"@b>`, `<"x\"> y"@b>`, "", true},
		{"FROM:a@b", "", "", false},
		{"FROM:<a@b>SIZE=1", "", "", false},
		{"FROM:<a@b", "", "", false},
		{"TO:<a@b>", "", "", false},
		{"FRO", "", "", false},
	}
	for _, c := range cases {
		p, ps, ok := splitPath(c.arg, "FROM:")
		if p != c.path || ps != c.params || ok != c.ok {
			t.Errorf("splitPath(%q) = %q %q %v", c.arg, p, ps, ok)
		}
	}
}

func TestParseParams(t *testing.T) {
	ps, ok := parseParams("size=10 SMTPUTF8 X-Y=caf\xc3\xa9")
	want := []param{{"SIZE", "10", true}, {"SMTPUTF8", "", false}, {"X-Y", "caf\xc3\xa9", true}}
	if !ok || !slices.Equal(ps, want) {
		t.Fatalf("got %v %v", ps, ok)
	}
	for _, bad := range []string{"SIZE=1 size=2", "-X=1", "A=", "A=b=c", "A=\x01", "A_B=1", "A=\xff"} {
		if _, ok := parseParams(bad); ok {
			t.Errorf("parseParams(%q) accepted", bad)
		}
	}
}

func TestXtextAndDSNParams(t *testing.T) {
	if s, err := decodeXtext("a+2Bb+3Dc+2b"); err != nil || s != "a+b=c+" {
		t.Fatalf("decodeXtext = %q, %v", s, err)
	}
	for _, bad := range []string{"+", "+2", "+ZZ", "a+0Db", "+FF"} {
		if s, err := decodeXtext(bad); err == nil {
			t.Errorf("decodeXtext(%q) = %q", bad, s)
		}
	}
	if n, ok := parseNotify("success,Delay"); !ok || !slices.Equal(n, []string{"SUCCESS", "DELAY"}) {
		t.Errorf("NOTIFY = %v %v", n, ok)
	}
	for _, bad := range []string{"NEVER,SUCCESS", "SUCCESS,SUCCESS", "", "SOMETIMES", "FAILURE,"} {
		if _, ok := parseNotify(bad); ok {
			t.Errorf("parseNotify(%q) accepted", bad)
		}
	}
	if o, ok := parseORcpt("rfc822;a+2Bb@example.org"); !ok || o != "rfc822;a+b@example.org" {
		t.Errorf("ORCPT = %q %v", o, ok)
	}
	for _, bad := range []string{"rfc822", ";a@b", "rfc822;", "rfc 822;a@b"} {
		if _, ok := parseORcpt(bad); ok {
			t.Errorf("parseORcpt(%q) accepted", bad)
		}
	}
}

func TestParseSizeAndBdat(t *testing.T) {
	if n, ok := parseSize("99999999999999999999"); !ok || n != 1<<63-1 {
		t.Errorf("huge SIZE = %d %v", n, ok)
	}
	for _, bad := range []string{"", "-1", "1e3", "123456789012345678901"} {
		if _, ok := parseSize(bad); ok {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	cases := []struct {
		arg      string
		size     int64
		last, ok bool
	}{
		{"0 LAST", 0, true, true}, {"10", 10, false, true}, {"5 last", 5, true, true},
		{"", 0, false, false}, {"-1", 0, false, false}, {"1 FIRST", 0, false, false},
		{"99999999999999999999", 0, false, false}, {"1  LAST", 0, false, false},
	}
	for _, c := range cases {
		size, last, ok := parseBdat(c.arg)
		if size != c.size || last != c.last || ok != c.ok {
			t.Errorf("parseBdat(%q) = %d %v %v", c.arg, size, last, ok)
		}
	}
}

func TestReasonOf(t *testing.T) {
	for want, r := range map[string]*smtpreply.Reply{
		reasonRelay: smtpreply.RelayDenied("x@y"), reasonNoSuchUser: smtpreply.NoSuchUser("x@y"),
		reasonTooBig: smtpreply.MessageTooBig(1), reasonQuota: smtpreply.MailboxFull("x@y"),
		reasonContent: smtpreply.ContentRejected("x"), reasonBadCommand: smtpreply.BadSyntax("x"),
		reasonTooManyRcpts: smtpreply.TooManyRecipients(), reasonLocalError: smtpreply.LocalError("r"),
		reasonLoop: smtpreply.RoutingLoop("x@y"), reasonTimeout: smtpreply.Timeout("h"),
		reasonNoSpace: smtpreply.InsufficientStorage("r"),
		// X.7.1 is not always a relay refusal (issue 13).
		reasonSenderNotOwned: smtpreply.SenderNotOwned("x@y"), reasonPolicy: smtpreply.DMARCRejected("y"),
	} {
		if got := reasonOf(r); got != want {
			t.Errorf("reasonOf(%v) = %s, want %s", r, got, want)
		}
	}
	// One reason for one kind of refusal (review of issue 13): the
	// temporary failures of DMARC and of the SPF and DKIM checks it needs
	// are all policy; AUTH's refusals auth; a service not set up config,
	// not local_error.
	for _, c := range []struct {
		want string
		r    *smtpreply.Reply
	}{
		{reasonPolicy, smtpreply.SPFTempError("y")}, {reasonPolicy, smtpreply.DKIMTempError("y")},
		{reasonPolicy, smtpreply.DMARCTempError("y")},
		{reasonAuth, smtpreply.AuthRequired()}, {reasonAuth, smtpreply.AuthFailed()},
		{reasonAuth, smtpreply.EncryptionRequired()},
		{reasonConfig, smtpreply.ForwardingUnavailable("x@y")}, {reasonConfig, smtpreply.RelayUnavailable("x@y")},
		{reasonLocalError, smtpreply.LocalError("r")},
	} {
		if got := reasonOf(c.r); got != c.want {
			t.Errorf("reasonOf(%v) = %s, want %s", c.r, got, c.want)
		}
	}
}
