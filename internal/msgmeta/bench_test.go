package msgmeta

import "testing"

func BenchmarkParseBytes(b *testing.B) {
	for _, name := range []string{"simple.eml", "attachment.eml", "nested.eml"} {
		raw := readTestdata(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				ParseBytes(raw)
			}
		})
	}
}

// BenchmarkUnmarshalFetch decodes stored metadata as FETCH does: without the
// header fields (ENVELOPE BODYSTRUCTURE), and the envelope alone (FLAGS
// ENVELOPE, a client's header scan).
func BenchmarkUnmarshalFetch(b *testing.B) {
	for _, name := range []string{"simple.eml", "attachment.eml", "nested.eml"} {
		raw, err := Marshal(ParseBytes(readTestdata(b, name)))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("WithoutHeaders/"+name, func(b *testing.B) {
			for b.Loop() {
				UnmarshalWithoutHeaders(raw)
			}
		})
		b.Run("Envelope/"+name, func(b *testing.B) {
			for b.Loop() {
				UnmarshalEnvelope(raw)
			}
		})
	}
}
