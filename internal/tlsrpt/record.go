package tlsrpt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// Record is a parsed _smtp._tls TXT record (RFC 8460 §3).
type Record struct {
	// Mailto are the addresses of the rua's mailto: URIs, in order.
	Mailto []string
	// HTTPS are the rua's https: URIs (not posted to: README "TLS
	// reporting (TLS-RPT)").
	HTTPS []string
}

// version is the record's first field (RFC 8460 §3: tlsrpt-version).
const version = "v=TLSRPTv1"

// ErrNoRecord: the domain publishes no usable TLS-RPT record.
var ErrNoRecord = errors.New("tlsrpt: no TLS-RPT record")

// ParseRecord parses the text of a TLS-RPT TXT record (RFC 8460 §3):
// "v=TLSRPTv1" first, then fields separated by ";" with optional white
// space around it and after the last, one of them "rua" with URIs
// separated by ",". Other fields must be well formed extensions
// (tlsrpt-extension) and are ignored. URIs other than mailto: and https:,
// and mailto: URIs without a valid address, are left out; a record
// without a URI left is an error.
func ParseRecord(txt string) (Record, error) {
	fields := strings.Split(txt, ";")
	if strings.TrimRight(fields[0], " \t") != version {
		return Record{}, errors.New("tlsrpt: record does not start with " + version)
	}
	var rec Record
	seenRUA := false
	for i, f := range fields[1:] {
		f = trimWSP(f)
		if f == "" && i == len(fields)-2 { // [field-delim] at the end
			break
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok || !validExtName(name) {
			return Record{}, fmt.Errorf("tlsrpt: bad field %q", f)
		}
		if !strings.EqualFold(name, "rua") {
			if !validExtValue(value) {
				return Record{}, fmt.Errorf("tlsrpt: bad value of field %q", name)
			}
			continue // an extension: ignored (§3)
		}
		if seenRUA {
			return Record{}, errors.New("tlsrpt: rua given twice")
		}
		seenRUA = true
		for u := range strings.SplitSeq(value, ",") {
			rec.addURI(trimWSP(u))
		}
	}
	if len(rec.Mailto)+len(rec.HTTPS) == 0 {
		return Record{}, errors.New("tlsrpt: no usable rua URI")
	}
	return rec, nil
}

// addURI adds one rua URI if it is a mailto: with a valid address or an
// https: URL.
// maxURIs bounds the report addresses taken from one record: a domain
// cannot make one report go to any number of places.
const maxURIs = 8

func (r *Record) addURI(s string) {
	if len(r.Mailto)+len(r.HTTPS) >= maxURIs {
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		return
	}
	switch strings.ToLower(u.Scheme) {
	case "mailto":
		// mailto:addr[?hfields] (RFC 6068); one address per URI here.
		enc, _, _ := strings.Cut(u.Opaque, "?")
		addr, err := url.PathUnescape(enc)
		if err != nil || strings.Contains(addr, ",") {
			return
		}
		a, err := mailaddr.Parse(addr)
		if err != nil || a.IsZero() || !a.IsASCII() {
			return
		}
		r.Mailto = append(r.Mailto, a.String())
	case "https":
		if u.Host != "" {
			r.HTTPS = append(r.HTTPS, u.String())
		}
	}
}

// validExtName: tlsrpt-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_"
// / "-" / ".") (RFC 8460 §3).
func validExtName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}

// validExtValue: tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible
// ASCII but ";" and "=" (RFC 8460 §3).
func validExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// trimWSP trims spaces and tabs (WSP, RFC 5234).
func trimWSP(s string) string { return strings.Trim(s, " \t") }

// TXTResolver looks up TXT records, the strings of one record joined
// (dnsr.Client does).
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Discover finds domain's TLS-RPT record at _smtp._tls.DOMAIN (RFC 8460
// §3): of the TXT records, those that do not start with "v=TLSRPTv1;" are
// discarded, and unless exactly one is left the domain takes no reports
// (ErrNoRecord, also for a record that does not parse). A failed lookup
// is returned as it is (isNotFound tells a missing name from a failure).
func Discover(ctx context.Context, r TXTResolver, domain string, isNotFound func(error) bool) (Record, error) {
	txts, err := r.LookupTXT(ctx, "_smtp._tls."+strings.TrimSuffix(domain, ".")+".")
	if err != nil {
		if isNotFound != nil && isNotFound(err) {
			return Record{}, ErrNoRecord
		}
		return Record{}, err
	}
	var found []string
	for _, t := range txts {
		if strings.HasPrefix(t, version+";") {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		return Record{}, ErrNoRecord
	}
	rec, err := ParseRecord(found[0])
	if err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrNoRecord, err)
	}
	return rec, nil
}
