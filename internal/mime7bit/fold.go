package mime7bit

// folder folds the header lines over MaxLine octets as Apply writes them
// (RFC 5322 §2.2.3: a field may be folded before any white space; the
// unfolded field is unchanged). It holds the current line until it ends
// or passes MaxLine, so a line of any length takes at most MaxLine octets
// plus one piece of memory.
type folder struct {
	buf []byte // the text of the current line not written yet
}

// writeField writes a piece of a header line, folded where it must be.
func (w *walker) writeField(p piece) {
	if !w.apply || w.need&ShortLines == 0 {
		w.write(p.text, p.eol)
		return
	}
	f := &w.fold
	f.buf = append(f.buf, p.text...)
	for len(f.buf) > MaxLine {
		if i := foldPoint(f.buf); i > 0 {
			w.write(f.buf[:i], []byte("\r\n"))
			f.buf = append(f.buf[:0], f.buf[i:]...) // starts with the white space
			continue
		}
		// No white space to fold at: a CRLF SP is inserted, which adds a
		// space to the field (the least harm; Postfix does the same).
		w.write(f.buf[:MaxLine-1], []byte("\r\n"))
		f.buf = append([]byte{' '}, f.buf[MaxLine-1:]...)
	}
	if p.eol != nil {
		w.write(f.buf, p.eol)
		f.buf = f.buf[:0]
	}
}

// flushFold writes what is left of a header line that had no line end.
func (w *walker) flushFold() {
	if len(w.fold.buf) > 0 {
		w.write(w.fold.buf)
		w.fold.buf = w.fold.buf[:0]
	}
}

// foldPoint is the last place within the first MaxLine+1 octets of line
// where it may be folded: a space or tab that follows a character that is
// not one, so that no line of white space alone is made (it could read as
// the end of the header). 0 when there is none.
func foldPoint(line []byte) int {
	for i := min(len(line)-1, MaxLine); i > 0; i-- {
		if isWSP(line[i]) && !isWSP(line[i-1]) {
			return i
		}
	}
	return 0
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }
