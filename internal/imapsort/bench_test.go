package imapsort

import (
	"strconv"
	"testing"
)

// BenchmarkSortSubject sorts 100,000 keys by base subject (12,500
// distinct), the sort proper of SORT (SUBJECT) without I/O.
func BenchmarkSortSubject(b *testing.B) {
	msgs := make([]Msg, 100000)
	for i := range msgs {
		msgs[i] = Msg{Index: i, Sent: int64(i), Base: Collate("topic " + strconv.Itoa(i/8) + " meeting")}
	}
	for b.Loop() {
		Sort(msgs, []Criterion{{Key: Subject}})
	}
}

func BenchmarkSortDate(b *testing.B) {
	msgs := make([]Msg, 100000)
	for i := range msgs {
		msgs[i] = Msg{Index: i, Sent: int64((i * 7919) % 100000)}
	}
	for b.Loop() {
		Sort(msgs, []Criterion{{Key: Date}})
	}
}
