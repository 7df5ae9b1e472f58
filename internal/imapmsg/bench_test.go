package imapmsg

import (
	"bytes"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// BenchmarkMatchText is SEARCH TEXT over the corpus, the work of
// `UID SEARCH TEXT "word"` per message once metadata and blob are at hand.
func BenchmarkMatchText(b *testing.B) {
	var cands []*Candidate
	var total int64
	for _, name := range corpus(b) {
		raw, m := load(b, name)
		total += int64(len(raw))
		cands = append(cands, &Candidate{
			Meta: func() (*msgmeta.Meta, error) { return m, nil },
			Body: func() (store.Blob, error) { return newBlob(raw, nil), nil },
		})
	}
	k := SearchKey{Kind: Text, Text: "nowhere-to-be-found"}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range cands {
			if _, err := Match(&k, c); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFetchStructure is FETCH (ENVELOPE BODYSTRUCTURE) of the corpus.
func BenchmarkFetchStructure(b *testing.B) {
	var metas []*msgmeta.Meta
	for _, name := range corpus(b) {
		_, m := load(b, name)
		metas = append(metas, m)
	}
	var w bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range metas {
			w.Reset()
			WriteEnvelope(&w, &m.Envelope, false)
			WriteBodyStructure(&w, &m.Body, true, false)
		}
	}
}
