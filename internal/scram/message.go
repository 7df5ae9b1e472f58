package scram

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is wrapped by the errors about a message that does not
// follow the grammar of RFC 5802 §7.
var ErrMalformed = errors.New("malformed SCRAM message")

// maxMessage bounds a client message: a user name, a nonce and a proof
// fit in far less.
const maxMessage = 4096

func malformed(what string) error { return errors.Join(ErrMalformed, errors.New(what)) }

// gs2 flags (RFC 5802 §7: gs2-cbind-flag).
const (
	flagNone     = 'n' // the client does not support channel binding
	flagNoServer = 'y' // it does, but thinks the server does not
	flagBinding  = 'p' // it binds, with the type in cbName
)

// clientFirst is a client-first-message (RFC 5802 §7).
type clientFirst struct {
	flag   byte
	cbName string // with flagBinding
	authz  string // a=, decoded; empty when absent
	user   string // n=, decoded
	nonce  string // r=
	gs2    string // the gs2-header, as sent (echoed in c=)
	bare   string // client-first-message-bare, as sent
}

// parseClientFirst parses gs2-header client-first-message-bare.
func parseClientFirst(msg []byte) (clientFirst, error) {
	var m clientFirst
	if len(msg) > maxMessage || !utf8.Valid(msg) {
		return m, malformed("too long or not UTF-8")
	}
	s := string(msg)
	flag, rest, ok := strings.Cut(s, ",")
	authz, bare, ok2 := strings.Cut(rest, ",")
	if !ok || !ok2 {
		return m, malformed("no gs2 header")
	}
	switch {
	case flag == "n" || flag == "y":
		m.flag = flag[0]
	case strings.HasPrefix(flag, "p=") && validCBName(flag[2:]):
		m.flag, m.cbName = flagBinding, flag[2:]
	default:
		return m, malformed("bad gs2-cbind-flag")
	}
	if authz != "" {
		v, ok := strings.CutPrefix(authz, "a=")
		var err error
		if m.authz, err = decodeName(v); !ok || err != nil || m.authz == "" {
			return m, malformed("bad authzid")
		}
	}
	m.gs2 = s[:len(flag)+1+len(authz)+1]
	m.bare = bare
	attrs := strings.Split(bare, ",")
	// RFC 5802 §5.1: "m" is reserved for mandatory extensions; a server
	// that does not know one must fail.
	if strings.HasPrefix(attrs[0], "m=") {
		return m, malformed("unsupported mandatory extension")
	}
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return m, malformed("client-first-message-bare needs n= and r=")
	}
	var err error
	if m.user, err = decodeName(attrs[0][2:]); err != nil || m.user == "" {
		return m, malformed("bad username")
	}
	m.nonce, err = nonceAndExtensions(attrs)
	return m, err
}

// clientFinal is a client-final-message (RFC 5802 §7).
type clientFinal struct {
	binding []byte // c=, decoded
	nonce   string // r=
	proof   []byte // p=, decoded
	noProof string // client-final-message-without-proof, as sent
}

// parseClientFinal parses channel-binding "," nonce ["," extensions] ","
// proof.
func parseClientFinal(msg []byte) (clientFinal, error) {
	var m clientFinal
	if len(msg) > maxMessage || !utf8.Valid(msg) {
		return m, malformed("too long or not UTF-8")
	}
	s := string(msg)
	i := strings.LastIndex(s, ",p=")
	if i < 0 {
		return m, malformed("no proof")
	}
	m.noProof = s[:i]
	var err error
	if m.proof, err = base64.StdEncoding.Strict().DecodeString(s[i+3:]); err != nil || len(m.proof) == 0 {
		return m, malformed("bad proof")
	}
	attrs := strings.Split(m.noProof, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return m, malformed("client-final-message needs c= and r=")
	}
	if m.binding, err = base64.StdEncoding.Strict().DecodeString(attrs[0][2:]); err != nil {
		return m, malformed("bad channel binding")
	}
	m.nonce, err = nonceAndExtensions(attrs)
	return m, err
}

// nonceAndExtensions checks the nonce (attrs[1], "r=" already seen) and
// the extensions after it, and returns the nonce.
func nonceAndExtensions(attrs []string) (string, error) {
	nonce := attrs[1][2:]
	if !validNonce(nonce) {
		return "", malformed("bad nonce")
	}
	for _, ext := range attrs[2:] {
		if !validExtension(ext) {
			return "", malformed("bad extension")
		}
	}
	return nonce, nil
}

// decodeName decodes a saslname (RFC 5802 §5.1): "=2C" is ",", "=3D" is
// "=", and any other "=" (or a NUL) makes it invalid.
func decodeName(v string) (string, error) {
	if strings.ContainsRune(v, 0) {
		return "", malformed("NUL in a name")
	}
	if !strings.Contains(v, "=") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '=' {
			b.WriteByte(v[i])
			continue
		}
		switch {
		case strings.HasPrefix(v[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(v[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", malformed("bad escape in a name")
		}
		i += 2
	}
	return b.String(), nil
}

// EncodeName escapes a saslname (RFC 5802 §5.1), for clients and tests.
func EncodeName(v string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(v)
}

// validNonce: printable ASCII except "," (RFC 5802 §7: c-nonce).
func validNonce(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e || v[i] == ',' {
			return false
		}
	}
	return true
}

// validCBName: 1*(ALPHA / DIGIT / "." / "-") (RFC 5802 §7: cb-name).
func validCBName(v string) bool {
	if v == "" {
		return false
	}
	for _, c := range []byte(v) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validExtension: attr-val with a letter other than the ones defined
// (RFC 5802 §7: extensions), ignored when valid.
func validExtension(v string) bool {
	if len(v) < 2 || v[1] != '=' {
		return false
	}
	c := v[0]
	return (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && !strings.ContainsRune("mnrcp", rune(c))
}
