package store

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules below are the same for every backend: names, keywords, flag
// arithmetic and lock arguments are checked and computed here, once.

// NormalizeName validates a mailbox name and returns its stored form:
// "INBOX" is case-insensitive (RFC 9051 §5.1), as the first level of a
// hierarchy name; names are UTF-8 without control characters, LIST
// wildcards, or empty levels.
func NormalizeName(name string) (string, error) {
	const op = "mailbox name"
	if name == "" || len(name) > 1000 || !utf8.ValidString(name) {
		return "", Errorf(KindInvalid, op, "invalid mailbox name")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '*' || r == '%' {
			return "", Errorf(KindInvalid, op, "mailbox name contains a forbidden character")
		}
	}
	parts := strings.Split(name, HierarchySep)
	for _, p := range parts {
		if p == "" {
			return "", Errorf(KindInvalid, op, "mailbox name has an empty hierarchy level")
		}
	}
	if strings.EqualFold(parts[0], InboxName) {
		parts[0] = InboxName
	}
	return strings.Join(parts, HierarchySep), nil
}

// ValidSpecialUse reports whether use is a known special-use attribute
// (RFC 6154) or none.
func ValidSpecialUse(use SpecialUse) bool {
	switch use {
	case UseNone, UseAll, UseArchive, UseDrafts, UseFlagged, UseJunk, UseSent, UseTrash:
		return true
	}
	return false
}

// NormKeywords deduplicates keywords case-insensitively (RFC 9051 §2.3.2:
// keywords are case-insensitive), keeping the first spelling, sorted.
func NormKeywords(kw []string) []string {
	if len(kw) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(kw))
	out := make([]string, 0, len(kw))
	for _, k := range kw {
		l := strings.ToLower(k)
		if k == "" || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// JoinKeywords is the stored form of a keyword list: NormKeywords joined
// by spaces (a keyword is an atom: it has none, RFC 9051 §9).
func JoinKeywords(kw []string) string { return strings.Join(NormKeywords(kw), " ") }

// SplitKeywords parses the stored form of JoinKeywords.
func SplitKeywords(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// ApplyFlags computes the new flags and keywords of one message.
func ApplyFlags(c FlagChange, flags Flags, kw []string) (Flags, []string) {
	switch c.Op {
	case FlagsReplace:
		return c.Flags, NormKeywords(c.Keywords)
	case FlagsAdd:
		return flags | c.Flags, NormKeywords(append(append([]string(nil), kw...), c.Keywords...))
	default:
		drop := make(map[string]bool, len(c.Keywords))
		for _, k := range c.Keywords {
			drop[strings.ToLower(k)] = true
		}
		var out []string
		for _, k := range kw {
			if !drop[strings.ToLower(k)] {
				out = append(out, k)
			}
		}
		return flags &^ c.Flags, out
	}
}

// SortedUIDs returns uids ascending without duplicates, in a new slice.
func SortedUIDs(uids []UID) []UID {
	out := append([]UID(nil), uids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	j := 0
	for i, u := range out {
		if i == 0 || u != out[j-1] {
			out[j] = u
			j++
		}
	}
	return out[:j]
}

// MessageUIDs returns the UIDs of ms, in their order.
func MessageUIDs(ms []Message) []UID {
	out := make([]UID, len(ms))
	for i, m := range ms {
		out[i] = m.UID
	}
	return out
}

// DomainOf returns the domain part of a canonical address or "@domain".
func DomainOf(address string) string {
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		return address[i+1:]
	}
	return ""
}

// CheckLock checks the arguments of a Locks call: KindInvalid for an
// empty name or owner or a ttl <= 0.
func CheckLock(op, name, owner string, ttl time.Duration) error {
	if name == "" || owner == "" || ttl <= 0 {
		return Errorf(KindInvalid, op, "empty lock name or owner, or ttl %v", ttl)
	}
	return nil
}

// PrefixEnd is the least string greater than every string that starts
// with prefix, comparing octets; false when there is none ("" or all
// 0xff). A KV list scans keys in [prefix, PrefixEnd(prefix)).
func PrefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
