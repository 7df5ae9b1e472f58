package dmarc

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// Policy is a requested or applied disposition (RFC 7489 §6.3 p=).
type Policy string

// Policies, from the mildest.
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// Alignment is an identifier alignment mode (RFC 7489 §3.1).
type Alignment string

// Alignment modes (adkim=, aspf=).
const (
	Relaxed Alignment = "r"
	Strict  Alignment = "s"
)

// ReportURI is one rua= or ruf= destination (RFC 7489 §6.2, §6.4).
type ReportURI struct {
	URI     string // an absolute URI, such as mailto:dmarc@example.org
	MaxSize uint64 // the "!size" limit in bytes; 0 = none
}

// Record is a parsed DMARC policy record (RFC 7489 §6.3). Parse fills in
// the defaults of absent or invalid optional tags.
type Record struct {
	Policy          Policy    // p=
	SubdomainPolicy Policy    // sp=; "" when absent (Policy applies)
	DKIM            Alignment // adkim=, default relaxed
	SPF             Alignment // aspf=, default relaxed
	Percent         int       // pct=, 0-100, default 100
	AggregateURIs   []ReportURI
	FailureURIs     []ReportURI
	FailureOptions  []string // fo=: "0", "1", "d", "s"; default ["0"]
	ReportFormats   []string // rf=, lower case; default ["afrf"]
	ReportInterval  uint32   // ri= in seconds, default 86400
}

// Parse errors.
var (
	// ErrNotDMARC: the text does not start with v=DMARC1 (RFC 7489
	// §6.6.3: such TXT records are discarded).
	ErrNotDMARC = errors.New("dmarc: not a DMARC1 record")
	// ErrNoPolicy: p= is missing or invalid (or sp= is invalid) and no
	// valid rua= URI lets it stand as p=none (RFC 7489 §6.6.3 step 6).
	ErrNoPolicy = errors.New("dmarc: record has no valid policy")
)

// tag is one tag=value pair of a record.
type tag struct{ name, value string }

// Parse parses a DMARC record (RFC 7489 §6.4): "v=DMARC1" first, then
// tag=value pairs separated by ";", with optional whitespace around ";"
// and "=". Tag names and keyword values are case-insensitive; the version
// is exactly "DMARC1". Unknown tags are ignored and so is a repeated tag
// (the first one counts). An optional tag with an invalid value takes its
// default (§6.3: "Syntax errors in the remainder of the record SHOULD be
// discarded in favor of default values"). A missing or invalid p=, or an
// invalid sp=, makes the record p=none when it has a valid rua= URI
// (§6.6.3 step 6), and ErrNoPolicy otherwise.
func Parse(txt string) (*Record, error) {
	tags := splitTags(txt)
	if len(tags) == 0 || tags[0].name != "v" || tags[0].value != "DMARC1" {
		return nil, ErrNotDMARC
	}
	rec := &Record{DKIM: Relaxed, SPF: Relaxed, Percent: 100,
		FailureOptions: []string{"0"}, ReportFormats: []string{"afrf"}, ReportInterval: 86400}
	policyOK, spOK := false, true
	seen := map[string]bool{}
	for _, t := range tags[1:] {
		if seen[t.name] {
			continue
		}
		seen[t.name] = true
		switch t.name {
		case "p":
			rec.Policy, policyOK = parsePolicy(t.value)
		case "sp":
			rec.SubdomainPolicy, spOK = parsePolicy(t.value)
		default:
			rec.setOptional(t)
		}
	}
	if !policyOK || !spOK {
		if len(rec.AggregateURIs) == 0 {
			return nil, ErrNoPolicy
		}
		rec.Policy, rec.SubdomainPolicy = PolicyNone, ""
	}
	return rec, nil
}

// setOptional sets the tag if its value is valid.
func (rec *Record) setOptional(t tag) {
	switch t.name {
	case "adkim":
		if a, ok := parseAlignment(t.value); ok {
			rec.DKIM = a
		}
	case "aspf":
		if a, ok := parseAlignment(t.value); ok {
			rec.SPF = a
		}
	case "pct":
		// dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT, 0-100.
		if n, err := strconv.Atoi(t.value); err == nil && len(t.value) <= 3 && isDigits(t.value) && n <= 100 {
			rec.Percent = n
		}
	case "rua":
		rec.AggregateURIs = parseURIs(t.value)
	case "ruf":
		rec.FailureURIs = parseURIs(t.value)
	case "fo":
		if v, ok := parseKeywords(t.value, func(k string) bool { return k == "0" || k == "1" || k == "d" || k == "s" }); ok {
			rec.FailureOptions = v
		}
	case "rf":
		if v, ok := parseKeywords(t.value, isKeyword); ok {
			rec.ReportFormats = v
		}
	case "ri":
		if n, err := strconv.ParseUint(t.value, 10, 32); err == nil && isDigits(t.value) {
			rec.ReportInterval = uint32(n)
		}
	}
}

// splitTags splits a record into tags with lower-case names and values
// trimmed of whitespace (WSP = SP / HTAB); empty parts and parts without
// "=" are dropped.
func splitTags(txt string) []tag {
	var tags []tag
	for part := range strings.SplitSeq(txt, ";") {
		name, value, ok := strings.Cut(part, "=")
		name = strings.ToLower(strings.Trim(name, " \t"))
		if !ok || name == "" {
			continue
		}
		tags = append(tags, tag{name, strings.Trim(value, " \t")})
	}
	return tags
}

// parsePolicy parses "none" / "quarantine" / "reject" (RFC 7489 §6.4).
func parsePolicy(v string) (Policy, bool) {
	switch p := Policy(strings.ToLower(v)); p {
	case PolicyNone, PolicyQuarantine, PolicyReject:
		return p, true
	}
	return "", false
}

func parseAlignment(v string) (Alignment, bool) {
	switch a := Alignment(strings.ToLower(v)); a {
	case Relaxed, Strict:
		return a, true
	}
	return "", false
}

// parseKeywords parses keywords separated by ":" (fo=, rf=), lower-cased;
// all of them must be valid.
func parseKeywords(v string, valid func(string) bool) ([]string, bool) {
	var out []string
	for k := range strings.SplitSeq(v, ":") {
		k = strings.ToLower(strings.Trim(k, " \t"))
		if !valid(k) {
			return nil, false
		}
		out = append(out, k)
	}
	return out, true
}

// parseURIs parses dmarc-uri *(*WSP "," *WSP dmarc-uri), where dmarc-uri =
// URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (RFC 7489 §6.4). Invalid
// URIs are dropped.
func parseURIs(v string) []ReportURI {
	var out []ReportURI
	for u := range strings.SplitSeq(v, ",") {
		if r, ok := parseURI(strings.Trim(u, " \t")); ok {
			out = append(out, r)
		}
	}
	return out
}

func parseURI(s string) (ReportURI, bool) {
	r := ReportURI{URI: s}
	if i := strings.LastIndexByte(s, '!'); i >= 0 {
		if size, ok := parseSize(s[i+1:]); ok {
			r = ReportURI{URI: s[:i], MaxSize: size}
		}
	}
	u, err := url.Parse(r.URI)
	if err != nil || u.Scheme == "" || strings.ContainsAny(r.URI, " \t,;!") {
		return ReportURI{}, false
	}
	return r, true
}

// parseSize parses 1*DIGIT [ "k" / "m" / "g" / "t" ] as bytes (units are
// powers of two, RFC 7489 §6.4).
func parseSize(s string) (uint64, bool) {
	shift := 0
	if s != "" {
		switch strings.ToLower(s[len(s)-1:]) {
		case "k":
			shift = 10
		case "m":
			shift = 20
		case "g":
			shift = 30
		case "t":
			shift = 40
		}
		if shift > 0 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || !isDigits(s) || n > (1<<64-1)>>shift {
		return 0, false
	}
	return n << shift, true
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// isKeyword reports Keyword = ALPHA *( ALPHA / DIGIT ) (RFC 7489 §6.4,
// from RFC 5321).
func isKeyword(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z') {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789") == ""
}

// String returns the record in a canonical form that Parse reads back to
// an equal Record: every tag, defaults included, in a fixed order.
func (rec *Record) String() string {
	var b strings.Builder
	b.WriteString("v=DMARC1; p=" + string(rec.Policy))
	if rec.SubdomainPolicy != "" {
		b.WriteString("; sp=" + string(rec.SubdomainPolicy))
	}
	b.WriteString("; adkim=" + string(rec.DKIM) + "; aspf=" + string(rec.SPF))
	b.WriteString("; pct=" + strconv.Itoa(rec.Percent))
	writeURIs(&b, "rua", rec.AggregateURIs)
	writeURIs(&b, "ruf", rec.FailureURIs)
	b.WriteString("; fo=" + strings.Join(rec.FailureOptions, ":"))
	b.WriteString("; rf=" + strings.Join(rec.ReportFormats, ":"))
	b.WriteString("; ri=" + strconv.FormatUint(uint64(rec.ReportInterval), 10))
	return b.String()
}

func writeURIs(b *strings.Builder, name string, uris []ReportURI) {
	if len(uris) == 0 {
		return
	}
	b.WriteString("; " + name + "=")
	for i, u := range uris {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(u.URI)
		if u.MaxSize > 0 {
			b.WriteString("!" + strconv.FormatUint(u.MaxSize, 10))
		}
	}
}
