package imapacl

import "testing"

// FuzzParse: any input parses or is refused, never panics; what parses
// round-trips through its canonical form, and its wire form (which adds
// "c" and "d", RFC 4314 §2.1.1) parses to a superset of it within the
// groups of those.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "lrswipkxtea", "+cd", "-x", "lrswida", "anyone", "-bob@x", "zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := ParseModification(s); err == nil {
			r := m.Apply(Lookup | Read)
			if back, err := Parse(r.String()); err != nil || back != r {
				t.Fatalf("%q: %q parses as %v, %v", s, r.String(), back, err)
			}
			back, err := Parse(r.Wire())
			if err != nil || !back.Has(r) || back&^r&^(obsoleteCreate|obsoleteDelete) != 0 {
				t.Fatalf("%q: wire %q parses as %v, %v", s, r.Wire(), back, err)
			}
		}
		if id, err := ParseIdentifier(s); err == nil && !id.Anyone && id.Address == "" {
			t.Fatalf("%q: empty identifier accepted", s)
		}
	})
}
