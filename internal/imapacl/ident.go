package imapacl

import (
	"errors"
	"strings"
)

// Anyone is the identifier of every account of the owner's domain (RFC
// 4314 §2 "anyone", narrowed to the domain: docs/architecture.md
// §Shared mailboxes).
const Anyone = "anyone"

// ErrNegative: an identifier with a leading "-" names negative rights
// (RFC 4314 §2), which this server does not implement (they are
// optional there).
var ErrNegative = errors.New("imapacl: negative rights are not supported")

// ErrIdentifier: the identifier is empty or not an address.
var ErrIdentifier = errors.New("imapacl: invalid identifier")

// Identifier is a parsed identifier: Anyone, or an account address
// (lower-cased; the store finds the account by it).
type Identifier struct {
	Anyone  bool
	Address string
}

// ParseIdentifier reads an identifier of SETACL, DELETEACL and LISTRIGHTS.
func ParseIdentifier(s string) (Identifier, error) {
	switch {
	case strings.HasPrefix(s, "-"):
		return Identifier{}, ErrNegative
	case strings.EqualFold(s, Anyone):
		return Identifier{Anyone: true}, nil
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n\x00") {
		return Identifier{}, ErrIdentifier
	}
	return Identifier{Address: strings.ToLower(s)}, nil
}
