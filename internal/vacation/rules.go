package vacation

import (
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Reasons a message gets no reply (Reply.Skip).
const (
	SkipNullSender   = "null reverse path"
	SkipAutomated    = "sender is an automated process"
	SkipAutoSubmit   = "auto-submitted message"
	SkipList         = "mailing list message"
	SkipPrecedence   = "bulk, list or junk precedence"
	SkipOwnSender    = "sender is the user"
	SkipNotAddressed = "user not in To, Cc, Bcc or Resent-*"
	SkipPeriod       = "already answered within the period"
)

// maxHeader bounds the header section read from the message.
const maxHeader = 1 << 20

// headerFields reads the header section of msg (package header's rules).
func headerFields(msg []byte) []header.Field {
	var fields []header.Field
	if len(msg) > maxHeader {
		msg = msg[:maxHeader]
	}
	header.Scan(msg, func(f header.Field) bool {
		fields = append(fields, f)
		return true
	})
	return fields
}

// check is the first rule that holds the reply back, "" when none does.
// own are the user's addresses in canonical form.
func check(fields []header.Field, sender string, own map[string]bool) string {
	if sender == "" {
		// RFC 3834 §2, RFC 5230 §5.1: the reply goes to the reverse path.
		return SkipNullSender
	}
	if automatedSender(sender) {
		return SkipAutomated // RFC 5230 §4.6
	}
	for _, f := range fields {
		name := strings.ToLower(f.Name)
		switch {
		case name == "auto-submitted":
			// RFC 3834 §2, RFC 5230 §4.6: anything but "no" (RFC 3834 §5.1
			// keywords take parameters after ";").
			v, _, _ := strings.Cut(f.Value(), ";")
			if !strings.EqualFold(strings.TrimSpace(stripComments(v)), "no") {
				return SkipAutoSubmit
			}
		case strings.HasPrefix(name, "list-"):
			// RFC 5230 §4.6: List-Id (RFC 2919) and the fields of RFC 2369.
			return SkipList
		case name == "precedence":
			// RFC 3834 §2: bulk, list and junk are not answered.
			switch strings.ToLower(strings.TrimSpace(stripComments(f.Value()))) {
			case "bulk", "list", "junk":
				return SkipPrecedence
			}
		}
	}
	if own[canonical(sender)] {
		return SkipOwnSender // RFC 5230 §4.5: no reply to oneself
	}
	if !addressed(fields, own) {
		return SkipNotAddressed // RFC 5230 §4.5
	}
	return ""
}

// automatedSender reports a reverse path whose local part names a
// mailer or a list manager (RFC 5230 §4.6; "-bounces" is Mailman's).
func automatedSender(sender string) bool {
	local := sender
	if i := strings.LastIndexByte(sender, '@'); i >= 0 {
		local = sender[:i]
	}
	local = strings.ToLower(strings.Trim(local, `"`))
	switch local {
	case "mailer-daemon", "listserv", "majordomo":
		return true
	}
	return strings.HasPrefix(local, "owner-") || strings.HasSuffix(local, "-request") ||
		strings.HasSuffix(local, "-owner") || strings.HasSuffix(local, "-bounces")
}

// addressedFields are where RFC 5230 §4.5 looks for the user's addresses.
var addressedFields = []string{"to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"}

// addressed reports whether one of own is in a recipient field.
func addressed(fields []header.Field, own map[string]bool) bool {
	for _, f := range fields {
		name := strings.ToLower(f.Name)
		found := false
		for _, a := range addressedFields {
			found = found || name == a
		}
		if !found {
			continue
		}
		for _, a := range listAddresses(f.Value()) {
			if own[canonical(a)] {
				return true
			}
		}
	}
	return false
}

var addrParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
}}

// listAddresses are the addresses of an address-list field: parsed when
// the field parses, else every word with an "@" (a malformed field still
// names its recipients).
func listAddresses(v string) []string {
	if list, err := addrParser.ParseList(v); err == nil {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.Address
		}
		return out
	}
	var out []string
	for w := range strings.FieldsFuncSeq(v, func(r rune) bool { return strings.ContainsRune(" \t,;<>()", r) }) {
		if strings.Contains(w, "@") {
			out = append(out, w)
		}
	}
	return out
}

// canonical is the form addresses are compared in: mailaddr's canonical
// form, or the lower-cased text when it does not parse.
func canonical(s string) string {
	s = strings.TrimSpace(s)
	a, err := mailaddr.Parse(s)
	if err == nil {
		if c, err := mailaddr.Canonical(a); err == nil {
			return c.String()
		}
	}
	return strings.ToLower(s)
}

// stripComments drops the RFC 5322 §3.2.2 comments of a structured
// field's value ("bulk (mass mailing)" -> "bulk").
func stripComments(v string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
