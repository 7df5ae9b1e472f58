package delivery

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/petrelmail/petrel/internal/envelope"
)

// traceHeaders returns the Return-Path and Received fields prepended to
// every message delivered (RFC 5321 §4.4), CRLF-terminated:
//
//	Return-Path: <sender@example.com>
//	Received: from helo.example (host.example [192.0.2.1])
//		by mx.example.org (Petrel) with ESMTPS id abcdefgh2345
//		(TLS1.3 TLS_AES_128_GCM_SHA256)
//		for <rcpt@example.org>; Thu, 26 Nov 2026 00:44:17 +0000
//
// The "for" clause names the recipient only when there is exactly one, so
// a message to several people does not reveal the others (RFC 5321 §7.2).
func (s *Service) traceHeaders(env *envelope.Envelope, results string) string {
	// RFC 5321 §4.4: the final delivery adds Return-Path with the reverse-path.
	return fmt.Sprintf("Return-Path: <%s>\r\n", env.ReversePath()) + s.received(env, results)
}

// received is the Received field alone, with the Authentication-Results
// field of the checks (results, "" for none) above it (inbound.go): a
// message relayed to another host (the queue) gets no Return-Path (RFC
// 5321 §4.4).
func (s *Service) received(env *envelope.Envelope, results string) string {
	var b strings.Builder
	b.WriteString(results)
	fmt.Fprintf(&b, "Received: from %s (%s)\r\n", clean(env.Helo, "unknown"), clientDesc(env))
	fmt.Fprintf(&b, "\tby %s (Petrel) with %s id %s", clean(s.cfg.Hostname, "localhost"), clean(env.Protocol, "SMTP"), env.ID)
	if env.TLS != nil {
		fmt.Fprintf(&b, "\r\n\t(%s %s)", tls.VersionName(env.TLS.Version), tls.CipherSuiteName(env.TLS.CipherSuite))
	}
	if len(env.Recipients) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", env.Recipients[0].Addr.String())
	}
	date := env.Received
	if date.IsZero() {
		date = time.Now()
	}
	fmt.Fprintf(&b, "; %s\r\n", date.Format(time.RFC1123Z))
	return b.String()
}

// clientDesc is the TCP-info of RFC 5321 §4.4: "host [ip]", "[ip]", or a
// note for a local socket.
func clientDesc(env *envelope.Envelope) string {
	if !env.ClientIP.IsValid() {
		return "local socket"
	}
	ip := env.ClientIP.Unmap()
	lit := "[" + ip.String() + "]"
	if ip.Is6() {
		lit = "[IPv6:" + ip.String() + "]"
	}
	if env.ClientHost != "" {
		return clean(env.ClientHost, "") + " " + lit
	}
	return lit
}

// clean keeps a client-supplied name from breaking the header: only
// characters of domains and address literals survive, at most 255.
func clean(s, empty string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".-:[]_", r),
			r > 0x7f && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			return r
		}
		return -1
	}, s)
	if len(out) > 255 {
		out = out[:255]
	}
	if out == "" {
		return empty
	}
	return out
}
