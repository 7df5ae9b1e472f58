package managesieve

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is a response's status (RFC 5804 §1.2: OK, NO or BYE).
type Kind int

const (
	KindOK Kind = iota
	KindNO
	KindBYE
)

func (k Kind) String() string {
	return [...]string{"OK", "NO", "BYE"}[k]
}

// RespCode is a response code (RFC 5804 §1.3), sent in parentheses after
// the status.
type RespCode string

const (
	CodeNone RespCode = ""
	// CodeEncryptNeeded: credentials need TLS first (§1.3).
	CodeEncryptNeeded RespCode = "ENCRYPT-NEEDED"
	// CodeMaxScripts and CodeMaxSize: over a quota (§1.3 QUOTA).
	CodeMaxScripts RespCode = "QUOTA/MAXSCRIPTS"
	CodeMaxSize    RespCode = "QUOTA/MAXSIZE"
	// CodeNonexistent: no script of that name (§1.3).
	CodeNonexistent RespCode = "NONEXISTENT"
	// CodeActive: the script is active and cannot be deleted (§1.3).
	CodeActive RespCode = "ACTIVE"
	// CodeAlreadyExists: the new name is taken (§1.3).
	CodeAlreadyExists RespCode = "ALREADYEXISTS"
	// CodeTryLater: a temporary failure, or a throttled login (§1.3).
	CodeTryLater RespCode = "TRYLATER"
)

// Reply is one server response: data lines (already encoded), then the
// status line "OK"/"NO"/"BYE" [SP "(" code ")"] [SP string] (RFC 5804 §4
// "response").
type Reply struct {
	Kind Kind
	Code RespCode
	// Tag is the TAG response code's string (NOOP, §2.13), or "".
	Tag string
	// SASL is the SASL response code's string (§2.1: a mechanism's
	// additional data with success, SCRAM's server-final message), or "".
	SASL string
	// Text is human-readable, sent as a quoted string or a literal.
	Text string
	// Data are the lines sent before the status line.
	Data []string
	// Close ends the session after the reply.
	Close bool
	// bad counts the reply's command as a bad one.
	bad bool
	// startTLS starts TLS once the reply is sent (STARTTLS).
	startTLS bool
}

func ok(text string) Reply                { return Reply{Text: text} }
func no(code RespCode, text string) Reply { return Reply{Kind: KindNO, Code: code, Text: text} }
func bye(code RespCode, text string) Reply {
	return Reply{Kind: KindBYE, Code: code, Text: text, Close: true}
}
func noFmt(format string, a ...any) Reply { return no(CodeNone, fmt.Sprintf(format, a...)) }
func badReply(text string) Reply          { return Reply{Kind: KindNO, Text: text, bad: true} }
func tempFailure(ref string) Reply {
	return noFmt("Temporary server failure, try again later (ref %s)", ref).withCode(CodeTryLater)
}
func (r Reply) withCode(c RespCode) Reply  { r.Code = c; return r }
func (r Reply) withData(d ...string) Reply { r.Data = append(r.Data, d...); return r }
func (r Reply) closing() Reply             { r.Close = true; return r }
func (r Reply) withText(t string) Reply    { r.Text = t; return r }

// write writes the data lines and the status line.
func (r Reply) write(w *bufio.Writer) {
	for _, d := range r.Data {
		w.WriteString(d)
		w.WriteString("\r\n")
	}
	w.WriteString(r.Kind.String())
	switch {
	case r.Tag != "":
		w.WriteString(" (TAG " + encodeString(r.Tag) + ")")
	case r.SASL != "":
		w.WriteString(" (SASL " + encodeString(r.SASL) + ")")
	case r.Code != CodeNone:
		w.WriteString(" (" + string(r.Code) + ")")
	}
	if r.Text != "" {
		w.WriteString(" " + encodeString(r.Text))
	}
	w.WriteString("\r\n")
}

// encodeString encodes s as a quoted string when it can be one (RFC 5804
// §4: at most 1024 octets of UTF-8 without CR, LF and NUL; DQUOTE and
// backslash escaped), else as a server literal "{N}" CRLF s.
func encodeString(s string) string {
	if len(s) <= 1024 && utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n\x00") {
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
		return `"` + r.Replace(s) + `"`
	}
	return "{" + strconv.Itoa(len(s)) + "}\r\n" + s
}

// The replies the server sends, by situation. Texts are fixed: no Go
// error text reaches the wire; failures carry a log reference.
var (
	replyUnknown        = badReply("Unknown command")
	replyWrongState     = badReply("Command not valid in this state")
	replySyntax         = badReply("Syntax error in arguments")
	replyLineTooLong    = bye(CodeNone, "Line too long, closing connection")
	replyTooManyBad     = bye(CodeNone, "Too many bad commands, closing connection")
	replyTooManyCmds    = bye(CodeNone, "Too many commands without logging in, closing connection")
	replyTimeout        = bye(CodeNone, "Command not completed in time, closing connection")
	replyIdle           = bye(CodeNone, "Idle for too long, closing connection")
	replyShutdown       = bye(CodeTryLater, "Server shutting down")
	replyTooMany        = bye(CodeTryLater, "Too many connections, try again later")
	replyNeedTLS        = no(CodeEncryptNeeded, "Authentication requires TLS: use STARTTLS first")
	replyAuthFailed     = no(CodeNone, "Invalid user name or password")
	replyThrottled      = no(CodeTryLater, "Too many failed logins, try again later")
	replyAuthCancelled  = no(CodeNone, "Authentication cancelled")
	replyBadBase64      = no(CodeNone, "Invalid base64 data")
	replyBadSASL        = no(CodeNone, "Invalid SASL response")
	replyUnknownMech    = no(CodeNone, "Unsupported authentication mechanism")
	replyNoTLS          = no(CodeNone, "STARTTLS not available")
	replyBadName        = no(CodeNone, "Invalid script name: 1 to 128 octets of UTF-8, no / or control characters")
	replyNoScript       = no(CodeNonexistent, "No such script")
	replyIsActive       = no(CodeActive, "The script is active; deactivate it first (SETACTIVE \"\")")
	replyExists         = no(CodeAlreadyExists, "A script of that name exists")
	replyNotUTF8        = no(CodeNone, "Script is not valid UTF-8")
	replyLiteralTooLong = bye(CodeMaxSize, "String too large, closing connection")
)

// tooLarge answers a script over the size quota.
func tooLarge(max int) Reply {
	return no(CodeMaxSize, fmt.Sprintf("Script too large: at most %d octets", max))
}

// tooManyScripts answers a new script over the count quota.
func tooManyScripts(max int) Reply {
	return no(CodeMaxScripts, fmt.Sprintf("Too many scripts: at most %d per account", max))
}
