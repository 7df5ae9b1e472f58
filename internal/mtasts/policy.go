package mtasts

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mode is a policy's mode (RFC 8461 §3.2, §5).
type Mode string

// The modes of RFC 8461 §5: enforce refuses delivery to MX hosts that do
// not match or do not present a valid certificate, testing delivers and
// reports, none tells senders the domain has no policy (any more).
const (
	ModeEnforce Mode = "enforce"
	ModeTesting Mode = "testing"
	ModeNone    Mode = "none"
)

// MaxMaxAge is the largest max_age a policy may have: 31557600 seconds,
// about a year (RFC 8461 §3.2). Larger values are read as it.
const MaxMaxAge = 31557600 * time.Second

// MaxPolicySize bounds the policy file (RFC 8461 §3.3: 64 KiB).
const MaxPolicySize = 64 << 10

// Policy is an MTA-STS policy (RFC 8461 §3.2). The zero Policy (Mode "")
// is no policy.
type Policy struct {
	Mode   Mode
	MX     []string // patterns: "mx.example.org" or "*.example.org" (§3.2)
	MaxAge time.Duration
	// ID is the id of the TXT record the policy was fetched under (§3.1),
	// or, for a policy this server serves (ServeConfig.PolicyFor), the
	// hash of its text that the TXT record must publish.
	ID string
}

// errPolicy marks a policy file that is not valid (RFC 8461 §3.2).
var errPolicy = errors.New("policy invalid")

// ParsePolicy parses a policy file (RFC 8461 §3.2): lines of "key: value"
// ending in LF or CRLF; version, mode and max_age exactly once, at least
// one mx unless the mode is none; unknown keys are ignored (§3.2, for
// extensions). A key other than mx given twice is an error. Empty lines,
// which the grammar does not allow, are skipped: policies served with a
// blank line at the end exist, and refusing them would drop the policy.
// The ID of the result is empty.
func ParsePolicy(text string) (Policy, error) {
	var p Policy
	seen := map[string]bool{}
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" { // the last line's terminator is optional
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || !validExtName(key) {
			return Policy{}, fmt.Errorf("%w: line %d is not \"key: value\"", errPolicy, i+1)
		}
		// field-delim = ":" *WSP, and *WSP after the field (§3.2).
		value = strings.Trim(value, " \t")
		if value == "" || !validValue(value) {
			return Policy{}, fmt.Errorf("%w: line %d: invalid value of %s", errPolicy, i+1, key)
		}
		if key != "mx" && seen[key] {
			return Policy{}, fmt.Errorf("%w: %s given twice", errPolicy, key)
		}
		seen[key] = true
		if err := p.setField(key, value); err != nil {
			return Policy{}, fmt.Errorf("%w: %v", errPolicy, err)
		}
	}
	switch {
	case !seen["version"]:
		return Policy{}, fmt.Errorf("%w: no version", errPolicy)
	case !seen["mode"]:
		return Policy{}, fmt.Errorf("%w: no mode", errPolicy)
	case !seen["max_age"]:
		return Policy{}, fmt.Errorf("%w: no max_age", errPolicy)
	case len(p.MX) == 0 && p.Mode != ModeNone:
		return Policy{}, fmt.Errorf("%w: no mx in %s mode", errPolicy, p.Mode)
	}
	return p, nil
}

// setField sets the field key of a policy (RFC 8461 §3.2); unknown keys
// are extensions, ignored.
func (p *Policy) setField(key, value string) error {
	switch key {
	case "version":
		if value != "STSv1" {
			return fmt.Errorf("version %q, want STSv1", value)
		}
	case "mode":
		switch m := Mode(value); m {
		case ModeEnforce, ModeTesting, ModeNone:
			p.Mode = m
		default:
			return fmt.Errorf("unknown mode %q", value)
		}
	case "max_age":
		// max_age = 1*10DIGIT, in seconds.
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil || len(value) > 10 {
			return fmt.Errorf("max_age %q is not 1 to 10 digits", value)
		}
		p.MaxAge = time.Duration(min(n, uint64(MaxMaxAge/time.Second))) * time.Second
	case "mx":
		pat := strings.ToLower(value)
		if !validPattern(pat) {
			return fmt.Errorf("mx %q is not a host name or *.domain", value)
		}
		p.MX = append(p.MX, pat)
	}
	return nil
}

// validExtName: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."), the
// sts-policy-ext-name and sts-ext-name of RFC 8461 §3.1, §3.2.
func validExtName(s string) bool {
	if s == "" || len(s) > 32 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validValue: visible characters (or UTF-8) separated by spaces and tabs
// (sts-policy-ext-value, RFC 8461 §3.2).
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 && c != ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// validPattern: ["*."] Domain (sts-policy-mx-value, RFC 8461 §3.2), in
// lower case.
func validPattern(p string) bool {
	return validDomain(strings.TrimPrefix(p, "*."))
}

// validDomain: a host name of labels of letters, digits and hyphens (RFC
// 5321 §4.1.2 Domain, A-labels for international names), at least two,
// with no trailing dot.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// MatchMX reports whether the MX host name host matches one of the
// policy's mx patterns (RFC 8461 §4.1): equal ignoring case and a
// trailing dot, or, for "*.example.org", exactly one more label on the
// left of example.org ("mx.example.org", not "a.mx.example.org" nor
// "example.org").
func (p Policy) MatchMX(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if suffix, ok := strings.CutPrefix(pat, "*."); ok {
			first, rest, found := strings.Cut(host, ".")
			if found && first != "" && rest == suffix {
				return true
			}
			continue
		}
		if host == pat {
			return true
		}
	}
	return false
}

// Text is the policy file of p (RFC 8461 §3.2), lines ending in CRLF.
func (p Policy) Text() string {
	var b strings.Builder
	b.WriteString("version: STSv1\r\n")
	fmt.Fprintf(&b, "mode: %s\r\n", p.Mode)
	for _, mx := range p.MX {
		fmt.Fprintf(&b, "mx: %s\r\n", mx)
	}
	fmt.Fprintf(&b, "max_age: %d\r\n", int64(p.MaxAge/time.Second))
	return b.String()
}

// TextID is an id for the TXT record of p (RFC 8461 §3.1: 1 to 32
// letters and digits) that changes when its text does: the first 16
// octets of the SHA-256 of Text, in hex.
func (p Policy) TextID() string {
	sum := sha256.Sum256([]byte(p.Text()))
	return hex.EncodeToString(sum[:16])
}
