package extsort

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// sortAll adds recs to a Sorter of budget bytes and returns what Sort
// gives, with the number of runs it wrote.
func sortAll(t *testing.T, dir string, budget int, recs [][]byte) ([][]byte, int) {
	t.Helper()
	s := New(dir, budget)
	for _, r := range recs {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	runs := len(s.runs)
	var out [][]byte
	if err := s.Sort(func(rec []byte) error {
		out = append(out, bytes.Clone(rec))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out, runs
}

func randomRecs(n int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([][]byte, n)
	for i := range recs {
		rec := make([]byte, r.IntN(120))
		for j := range rec {
			rec[j] = byte(r.IntN(4)) // short alphabet: many shared prefixes and duplicates
		}
		recs[i] = rec
	}
	return recs
}

// TestSort: in memory, with a few runs and with more runs than FanIn
// (a merge pass first), the records come back all, in order, empty and
// duplicate records included; nothing is left in the directory.
func TestSort(t *testing.T) {
	for _, tc := range []struct {
		n       int
		minRuns int
	}{{0, 0}, {500, 0}, {20000, 2}, {150000, FanIn + 1}} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			dir := t.TempDir()
			recs := randomRecs(tc.n)
			got, runs := sortAll(t, dir, 64<<10, recs)
			if runs < tc.minRuns || tc.minRuns == 0 && runs != 0 {
				t.Fatalf("%d runs written, want at least %d (0 when it fits)", runs, tc.minRuns)
			}
			want := slices.Clone(recs)
			slices.SortFunc(want, bytes.Compare)
			if len(got) != len(want) {
				t.Fatalf("%d records back, want %d", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("record %d: %q, want %q", i, got[i], want[i])
				}
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Fatalf("%d files left in the directory", len(ents))
			}
		})
	}
}

// TestSortStops: an error of the callback ends Sort with it.
func TestSortStops(t *testing.T) {
	s := New(t.TempDir(), 64<<10)
	for _, r := range randomRecs(20000) {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.Sort(func([]byte) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 {
		t.Fatalf("Sort = %v after %d records, want stop after 10", err, n)
	}
}
