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
