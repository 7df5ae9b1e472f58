package extsort

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// Sorter gathers records (byte strings) and returns them in bytes.Compare
// order. Memory holds at most about Budget bytes of records (plus 16
// bytes each) and a read buffer per run being merged; the rest waits in
// temporary files under Dir, unlinked as soon as created, so that
// nothing is left behind whatever ends the process. Not for concurrent
// use.
type Sorter struct {
	dir    string
	budget int
	buf    []byte
	spans  []span
	runs   []*os.File
}

type span struct{ start, end int }

// FanIn is how many runs one merge reads at once (a read buffer of
// 64 KiB each); more runs are first merged into fewer.
const FanIn = 64

const readBuf = 64 << 10

// New returns a Sorter that writes its runs under dir (os.TempDir when
// empty) once budget bytes (at least 64 KiB) are held.
func New(dir string, budget int) *Sorter {
	return &Sorter{dir: dir, budget: max(budget, 64<<10)}
}

// Add adds a copy of rec.
func (s *Sorter) Add(rec []byte) error {
	if len(s.buf)+len(rec)+16*len(s.spans) > s.budget && len(s.spans) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	start := len(s.buf)
	s.buf = append(s.buf, rec...)
	s.spans = append(s.spans, span{start, len(s.buf)})
	return nil
}

func (s *Sorter) sortMem() {
	slices.SortFunc(s.spans, func(a, b span) int { return bytes.Compare(s.buf[a.start:a.end], s.buf[b.start:b.end]) })
}

// spill writes the records held as one sorted run.
func (s *Sorter) spill() error {
	s.sortMem()
	f, err := s.tempFile()
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, readBuf)
	for _, sp := range s.spans {
		if err := writeRec(w, s.buf[sp.start:sp.end]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	s.runs = append(s.runs, f)
	s.buf, s.spans = s.buf[:0], s.spans[:0]
	return nil
}

func (s *Sorter) tempFile() (*os.File, error) {
	f, err := os.CreateTemp(s.dir, "petrel-sort-*")
	if err != nil {
		return nil, fmt.Errorf("extsort: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("extsort: %w", err)
	}
	return f, nil
}

func writeRec(w *bufio.Writer, rec []byte) error {
	var n [binary.MaxVarintLen64]byte
	if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(rec)))]); err != nil {
		return err
	}
	_, err := w.Write(rec)
	return err
}

// Sort calls fn with every record added, in bytes.Compare order (equal
// records in any order), then releases what the Sorter holds; rec is
// valid until fn returns. The Sorter is empty afterwards.
func (s *Sorter) Sort(fn func(rec []byte) error) error {
	defer s.Close()
	if len(s.runs) == 0 {
		s.sortMem()
		for _, sp := range s.spans {
			if err := fn(s.buf[sp.start:sp.end]); err != nil {
				return err
			}
		}
		return nil
	}
	if len(s.spans) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.buf, s.spans = nil, nil
	for len(s.runs) > FanIn {
		if err := s.mergeRuns(FanIn); err != nil {
			return err
		}
	}
	return merge(s.runs, fn)
}

// mergeRuns merges the first n runs into one new run at the end.
func (s *Sorter) mergeRuns(n int) error {
	f, err := s.tempFile()
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, readBuf)
	if err := merge(s.runs[:n], func(rec []byte) error { return writeRec(w, rec) }); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	for _, r := range s.runs[:n] {
		r.Close()
	}
	s.runs = append(s.runs[n:], f)
	return nil
}

// Close releases the runs; Sort calls it.
func (s *Sorter) Close() error {
	for _, r := range s.runs {
		r.Close()
	}
	s.runs, s.buf, s.spans = nil, nil, nil
	return nil
}

// runReader reads one run's records.
type runReader struct {
	r   *bufio.Reader
	cur []byte
}

func (rr *runReader) next() (bool, error) {
	n, err := binary.ReadUvarint(rr.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("extsort: %w", err)
	}
	rr.cur = slices.Grow(rr.cur[:0], int(n))[:n]
	if _, err := io.ReadFull(rr.r, rr.cur); err != nil {
		return false, fmt.Errorf("extsort: %w", err)
	}
	return true, nil
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return bytes.Compare(h[i].cur, h[j].cur) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge calls fn with the records of the sorted runs in order.
func merge(runs []*os.File, fn func([]byte) error) error {
	h := make(runHeap, 0, len(runs))
	for _, f := range runs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("extsort: %w", err)
		}
		rr := &runReader{r: bufio.NewReaderSize(f, readBuf)}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, rr)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		top := h[0]
		if err := fn(top.cur); err != nil {
			return err
		}
		ok, err := top.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}
