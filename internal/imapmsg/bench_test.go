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

// BenchmarkIndexText is the full-text index's extraction (IndexText) of
// the corpus and of a 4 KiB plain text message, the background
// indexer's work per message apart from SQLite.
func BenchmarkIndexText(b *testing.B) {
	type msg struct {
		raw  []byte
		meta *msgmeta.Meta
	}
	var msgs []msg
	var total int64
	plain := []byte("From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: The quarterly report\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" + string(bytes.Repeat([]byte("Lorem ipsum dolor sit amet, the budget.\r\n"), 100)))
	msgs = append(msgs, msg{plain, msgmeta.ParseBytes(plain)})
	for _, name := range corpus(b) {
		raw, m := load(b, name)
		msgs = append(msgs, msg{raw, m})
	}
	for _, m := range msgs {
		total += int64(len(m.raw))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if _, _, err := IndexText(m.meta, bytes.NewReader(m.raw), int64(len(m.raw))); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(msgs)), "µs/msg")
}
