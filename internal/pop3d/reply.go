package pop3d

import (
	"bufio"
	"fmt"
	"strings"
)

// RespCode is an extended response code (RFC 2449 §8), sent in brackets
// after "-ERR".
type RespCode string

const (
	CodeNone RespCode = ""
	// CodeInUse: the maildrop is locked by another session (RFC 2449 §8.1.1).
	CodeInUse RespCode = "IN-USE"
	// CodeSysTemp: a temporary problem, retry later (RFC 3206 §4); also
	// the answer to a throttled login.
	CodeSysTemp RespCode = "SYS/TEMP"
	// CodeSysPerm: a permanent problem (RFC 3206 §4).
	CodeSysPerm RespCode = "SYS/PERM"
	// CodeAuth: the credentials are wrong (RFC 3206 §5).
	CodeAuth RespCode = "AUTH"
)

// Reply is one server response: a status line, optionally followed by a
// multi-line body (RFC 1939 §3) given as Lines or streamed from a message.
type Reply struct {
	OK   bool
	Code RespCode
	Text string
	// Multi makes the reply multi-line: Lines follow, dot-stuffed, and the
	// terminating "." line.
	Multi bool
	Lines []string
	// Message, when set, is streamed after the status line (RETR, TOP).
	Message *messageBody
	// Continue makes it a SASL continuation: "+ " and Text, the base64
	// challenge (RFC 5034 §4).
	Continue bool
	// Close ends the session after the reply.
	Close bool
	// bad counts the reply's command as a bad one.
	bad bool
	// startTLS starts TLS once the reply is sent (STLS).
	startTLS bool
}

// ok and fail build single-line replies.
func ok(format string, args ...any) Reply {
	return Reply{OK: true, Text: fmt.Sprintf(format, args...)}
}

func fail(code RespCode, format string, args ...any) Reply {
	return Reply{Code: code, Text: fmt.Sprintf(format, args...)}
}

// statusLine is the first line of r.
func (r Reply) statusLine() string {
	var b strings.Builder
	if r.Continue {
		return "+ " + r.Text
	}
	if r.OK {
		b.WriteString("+OK")
	} else {
		b.WriteString("-ERR")
		if r.Code != CodeNone {
			b.WriteString(" [" + string(r.Code) + "]")
		}
	}
	if r.Text != "" {
		b.WriteString(" " + r.Text)
	}
	return b.String()
}

// writeLines writes the status line and, for a multi-line reply without a
// Message, its lines and the terminating line.
func (r Reply) writeLines(w *bufio.Writer) {
	w.WriteString(r.statusLine())
	w.WriteString("\r\n")
	if !r.Multi || r.Message != nil {
		return
	}
	for _, l := range r.Lines {
		if strings.HasPrefix(l, ".") {
			w.WriteByte('.') // RFC 1939 §3: byte-stuff the termination character
		}
		w.WriteString(l)
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
}

// The replies the server sends, by situation. Texts are fixed: no Go
// error text ever reaches the wire; failures carry a log reference.
var (
	replyUnknown       = Reply{Text: "Unknown command", bad: true}
	replyWrongState    = Reply{Text: "Command not valid in this state", bad: true}
	replySyntax        = Reply{Text: "Syntax error in arguments", bad: true}
	replyLineTooLong   = Reply{Text: "Line too long", bad: true}
	replyTooManyBad    = Reply{Text: "Too many bad commands, closing connection", Close: true}
	replyLineTimeout   = Reply{Text: "Command line not completed in time, closing connection", Close: true}
	replyNeedTLS       = fail(CodeNone, "Authentication requires TLS: use STLS first")
	replyNoUser        = fail(CodeNone, "Send USER first")
	replyAuthFailed    = fail(CodeAuth, "Invalid user name or password")
	replyAuthCancelled = fail(CodeNone, "Authentication cancelled")
	replyBadBase64     = fail(CodeNone, "Invalid base64 data")
	replyBadSASL       = fail(CodeNone, "Invalid SASL response")
	replyUnknownMech   = fail(CodeNone, "Unsupported authentication mechanism")
	replyInUse         = fail(CodeInUse, "Maildrop is locked by another session")
	replyLockLost      = Reply{Code: CodeSysTemp, Text: "Maildrop lock lost, nothing deleted; log in again", Close: true}
	replyNoSuchMessage = fail(CodeNone, "No such message")
	replyExpunged      = fail(CodeNone, "Message was deleted by another client")
	replyNoTLS         = fail(CodeNone, "STLS not available")
	replyShutdown      = Reply{Code: CodeSysTemp, Text: "Server shutting down", Close: true}
	replyTooMany       = Reply{Code: CodeSysTemp, Text: "Too many connections, try again later", Close: true}
)

// throttled answers a login refused by the throttle: a temporary failure
// (RFC 3206 §4), so that the client retries later with the same password.
func throttled() Reply {
	return fail(CodeSysTemp, "Too many failed logins, try again later")
}

// tempFailure answers a failure of the server's own (storage, ...): the
// log holds the details under ref.
func tempFailure(ref string) Reply {
	return fail(CodeSysTemp, "Temporary server failure, try again later (ref %s)", ref)
}

// diskFull answers a write that failed because the disk is full: a
// temporary failure too (RFC 3206 §4), which deleting mail elsewhere or
// waiting may cure; the log holds the details under ref.
func diskFull(ref string) Reply {
	return fail(CodeSysTemp, "Insufficient system storage, try again later (ref %s)", ref)
}

// alreadyDeleted answers a command on a message marked deleted
// (RFC 1939 §5, DELE: "-ERR message 2 already deleted").
func alreadyDeleted(n int) Reply { return fail(CodeNone, "Message %d already deleted", n) }
