package autoconfig

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// The Apple configuration profile: a property list (the PropertyList-1.0
// DTD) of type Configuration holding one com.apple.mail.managed payload,
// the account of one address. It is not signed (the device says so when
// it is installed) and holds no password: the device asks for it.
const (
	plistHeader = xml.Header + `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n"
	// ContentTypeProfile is the media type devices install a profile
	// from.
	ContentTypeProfile = "application/x-apple-aspen-config"
)

// plistEntry is one key of a dict and its value: a string, an int, a
// bool, or a nested dict ([]plistEntry) inside an array.
type plistEntry struct {
	key   string
	value any
}

// MobileConfig returns the configuration profile of addr (as ParseAddress
// returns it): the first incoming endpoint (IMAP before POP3, implicit
// TLS first) and the first submission endpoint. Its identifiers and
// UUIDs are derived from the host name and the address, so that a
// profile installed again replaces the earlier one. It fails with
// ErrNotOffered when no incoming protocol or no submission is on: a mail
// payload needs both.
func (s Server) MobileConfig(addr mailaddr.Address) ([]byte, error) {
	in, okIn := first(s.Incoming, -1)
	out, okOut := first(s.Outgoing, Submission)
	if !okIn || !okOut {
		return nil, ErrNotOffered
	}
	email := addr.String()
	accountType := "EmailTypeIMAP"
	if in.Protocol == POP3 {
		accountType = "EmailTypePOP"
	}
	ident := reverseDomain(addr.Domain) + ".petrel.mail." + idHash(s.Hostname, email)
	account := []plistEntry{
		{"EmailAccountDescription", email},
		{"EmailAccountType", accountType},
		{"EmailAddress", email},
		{"IncomingMailServerAuthentication", "EmailAuthPassword"},
		{"IncomingMailServerHostName", s.Hostname},
		{"IncomingMailServerPortNumber", int(in.Port)},
		// UseSSL: implicit TLS; false leaves the device to use STARTTLS.
		{"IncomingMailServerUseSSL", in.Security == ImplicitTLS},
		{"IncomingMailServerUsername", email},
		{"OutgoingMailServerAuthentication", "EmailAuthPassword"},
		{"OutgoingMailServerHostName", s.Hostname},
		{"OutgoingMailServerPortNumber", int(out.Port)},
		{"OutgoingMailServerUseSSL", out.Security == ImplicitTLS},
		{"OutgoingMailServerUsername", email},
		{"OutgoingPasswordSameAsIncomingPassword", true},
		{"PayloadDescription", "Mail account " + email},
		{"PayloadDisplayName", email},
		{"PayloadIdentifier", ident + ".account"},
		{"PayloadType", "com.apple.mail.managed"},
		{"PayloadUUID", nameUUID("account", s.Hostname, email)},
		{"PayloadVersion", 1},
	}
	profile := []plistEntry{
		{"PayloadContent", [][]plistEntry{account}},
		{"PayloadDescription", "Sets up the mail account " + email + " on " + s.Hostname + "."},
		{"PayloadDisplayName", "Mail: " + email},
		{"PayloadIdentifier", ident},
		{"PayloadRemovalDisallowed", false},
		{"PayloadType", "Configuration"},
		{"PayloadUUID", nameUUID("profile", s.Hostname, email)},
		{"PayloadVersion", 1},
	}
	var b bytes.Buffer
	b.WriteString(plistHeader)
	b.WriteString("<plist version=\"1.0\">\n")
	writeDict(&b, profile, 0)
	b.WriteString("</plist>\n")
	return b.Bytes(), nil
}

// writeDict writes entries as a plist dict indented by depth tabs; every
// string goes through xml.EscapeText.
func writeDict(b *bytes.Buffer, entries []plistEntry, depth int) {
	ind := strings.Repeat("\t", depth)
	b.WriteString(ind + "<dict>\n")
	for _, e := range entries {
		b.WriteString(ind + "\t<key>")
		xml.EscapeText(b, []byte(e.key))
		b.WriteString("</key>\n" + ind + "\t")
		switch v := e.value.(type) {
		case string:
			b.WriteString("<string>")
			xml.EscapeText(b, []byte(v))
			b.WriteString("</string>\n")
		case int:
			fmt.Fprintf(b, "<integer>%d</integer>\n", v)
		case bool:
			fmt.Fprintf(b, "<%t/>\n", v)
		case [][]plistEntry:
			b.WriteString("<array>\n")
			for _, d := range v {
				writeDict(b, d, depth+2)
			}
			b.WriteString(ind + "\t</array>\n")
		default:
			panic(fmt.Sprintf("autoconfig: plist value of type %T", v))
		}
	}
	b.WriteString(ind + "</dict>\n")
}

// reverseDomain is domain's labels in reverse order, the start of a
// reverse-DNS identifier: "org.example".
func reverseDomain(domain string) string {
	labels := strings.Split(domain, ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

// idHash is a short stable name for an address on a host, for
// identifiers: a local part may hold characters an identifier should not.
func idHash(host, email string) string {
	sum := sha256.Sum256([]byte("petrel profile id\x00" + host + "\x00" + email))
	return fmt.Sprintf("%x", sum[:8])
}

// nameUUID is a name-based UUID (RFC 9562 §5.8, version 8, from SHA-256)
// of kind, host and email: the same profile gets the same UUIDs.
func nameUUID(kind, host, email string) string {
	sum := sha256.Sum256([]byte("petrel profile uuid\x00" + kind + "\x00" + host + "\x00" + email))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // variant 10 (RFC 9562 §4.1)
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]))
}
