package smtpclient

import (
	"fmt"
	"strings"
)

// mailCommand is MAIL FROM with the parameters the server offers.
func mailCommand(m *Message, ext extensions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "MAIL FROM:<%s>", m.From)
	if ext.has("SIZE") && m.Size > 0 {
		fmt.Fprintf(&b, " SIZE=%d", m.Size) // RFC 1870 §6
	}
	if m.EightBit && ext.has("8BITMIME") {
		b.WriteString(" BODY=8BITMIME") // RFC 6152 §3
	}
	if m.SMTPUTF8 && ext.has("SMTPUTF8") {
		b.WriteString(" SMTPUTF8") // RFC 6531 §3.4
	}
	if m.RequireTLS && ext.has("REQUIRETLS") {
		b.WriteString(" REQUIRETLS") // RFC 8689 §4.2.1, the server offered it
	}
	if ext.has("DSN") { // RFC 3461 §4.3, §4.4
		if ret := strings.ToUpper(m.Ret); ret == "FULL" || ret == "HDRS" {
			b.WriteString(" RET=" + ret)
		}
		if m.EnvID != "" {
			b.WriteString(" ENVID=" + xtext(m.EnvID))
		}
	}
	return b.String()
}

// rcptCommand is RCPT TO with the DSN parameters when the server offers
// DSN (RFC 3461 §4.1, §4.2).
func rcptCommand(r Rcpt, ext extensions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "RCPT TO:<%s>", r.Addr)
	if !ext.has("DSN") {
		return b.String()
	}
	if len(r.Notify) > 0 {
		b.WriteString(" NOTIFY=" + strings.ToUpper(strings.Join(r.Notify, ",")))
	}
	if typ, addr, ok := strings.Cut(r.ORcpt, ";"); ok && typ != "" && addr != "" {
		b.WriteString(" ORCPT=" + typ + ";" + xtext(addr))
	}
	return b.String()
}

// xtext encodes s (RFC 3461 §4): "+" and "=", controls, space and octets
// outside ASCII become "+" and two upper-case hex digits.
func xtext(s string) string {
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			fmt.Fprintf(&b, "+%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// safeArg reports whether s can go into a command line: no controls, so
// nothing can end the line or start another command.
func safeArg(s string) bool {
	for i := range len(s) {
		if s[i] < ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// needsUTF8Addresses reports a non-ASCII envelope address.
func needsUTF8Addresses(m *Message) bool {
	if !isASCII(m.From) {
		return true
	}
	for _, r := range m.Rcpts {
		if !isASCII(r.Addr) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
