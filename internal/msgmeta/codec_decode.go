package msgmeta

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFast decodes the JSON that Marshal writes without reflection:
// IMAP FETCH and SEARCH decode the Meta of every message they touch, and
// encoding/json spends ten times longer on it. It accepts only what
// Marshal can produce (known keys, integers, strings, arrays, objects);
// for anything else ok is false and Unmarshal falls back to encoding/json,
// so that the result is always the one encoding/json gives.
func decodeFast(b []byte, headers bool) (m *Meta, ok bool) {
	d := decoder{b: b, s: string(b), skipHeaders: !headers}
	m = new(Meta)
	if !d.meta(m) {
		return nil, false
	}
	d.space()
	return m, d.i == len(d.b)
}

// envelopePrefix is how much of the metadata decodeEnvelope copies
// first (the decoder's strings are substrings of one copy): a typical
// envelope is well under it, and the rest of the metadata, often ten
// times larger, is not copied.
const envelopePrefix = 4 << 10

// decodeEnvelope decodes the prefix {"v":N,"env":{...}, of what Marshal
// writes, and nothing after it; ok is false when b does not start so.
func decodeEnvelope(b []byte) (m *Meta, ok bool) {
	if len(b) > envelopePrefix {
		if m, ok := decodeEnvelopeIn(b[:envelopePrefix]); ok {
			return m, true
		}
	}
	return decodeEnvelopeIn(b)
}

func decodeEnvelopeIn(b []byte) (m *Meta, ok bool) {
	d := decoder{b: b, s: string(b), skipHeaders: true}
	m = new(Meta)
	if !d.next('{') || !d.key("v") {
		return nil, false
	}
	n, ok := d.int64()
	m.Version = int(n)
	if !ok || int64(m.Version) != n || !d.next(',') || !d.key("env") || !d.envelope(&m.Envelope) {
		return nil, false
	}
	d.space()
	if d.i == len(d.b) || (d.b[d.i] != ',' && d.b[d.i] != '}') {
		return nil, false
	}
	return m, true
}

// key consumes the object key name and its colon.
func (d *decoder) key(name string) bool {
	if !d.next('"') || !bytes.HasPrefix(d.b[d.i:], []byte(name)) || len(d.b) <= d.i+len(name) || d.b[d.i+len(name)] != '"' {
		return false
	}
	d.i += len(name) + 1
	return d.next(':')
}

type decoder struct {
	b []byte
	// s is b as one string: decoded strings without escapes are its
	// substrings, which saves an allocation each.
	s string
	i int
	// skipHeaders leaves Meta.Headers out.
	skipHeaders bool
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c.
func (d *decoder) next(c byte) bool {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object calls field for each key of an object until it returns false.
// Keys are the bytes between the quotes: a key with an escape is one
// Marshal does not write, and then matches no field.
func (d *decoder) object(field func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	// A repeated key, or one with an escape (which could spell another
	// key), is left to encoding/json, whose rules for them (decoding into
	// what the first occurrence filled) are not worth copying: Marshal
	// never writes either.
	var seen [maxObjectKeys]struct{ start, end int32 } // keys so far, in d.b
	n := 0
	for {
		if !d.next('"') {
			return false
		}
		start := d.i
		for d.i < len(d.b) && d.b[d.i] != '"' {
			if d.b[d.i] == '\\' {
				return false
			}
			d.i++
		}
		if d.i == len(d.b) || n == maxObjectKeys {
			return false
		}
		key := d.b[start:d.i]
		for _, k := range seen[:n] {
			if bytes.Equal(d.b[k.start:k.end], key) {
				return false
			}
		}
		seen[n].start, seen[n].end = int32(start), int32(d.i)
		n++
		d.i++
		if !d.next(':') || !field(key) {
			return false
		}
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// maxObjectKeys bounds the keys of one object the fast decoder takes;
// Marshal writes at most about 20.
const maxObjectKeys = 24

// array calls elem for each element of an array until it returns false.
func (d *decoder) array(elem func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.next(']') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// str decodes a string: escapes as encoding/json reads them; invalid
// UTF-8 and lone surrogates (which encoding/json replaces) fail.
func (d *decoder) str() (string, bool) {
	if !d.next('"') {
		return "", false
	}
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.s[start:d.i]
			d.i++
			if !ascii && !utf8.ValidString(s) {
				return "", false
			}
			return s, true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	return "", false
}

// escaped finishes a string that has an escape at d.i.
func (d *decoder) escaped(start int) (string, bool) {
	out := append(make([]byte, 0, d.i-start+16), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return "", false
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
					return "", false
				}
				d.i += 2
				r2, ok := d.hex4()
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

// skipString passes over a string, checking what str checks, without
// building it.
func (d *decoder) skipString() bool {
	if !d.next('"') {
		return false
	}
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return ascii || utf8.Valid(d.b[start:d.i-1])
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return false
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return false
				}
				if utf16.IsSurrogate(r) {
					if d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
						return false
					}
					d.i += 2
					r2, ok := d.hex4()
					if !ok || utf16.DecodeRune(r, r2) == utf8.RuneError {
						return false
					}
				}
			default:
				return false
			}
			continue
		case c < 0x20:
			return false
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	return false
}

func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// int64 decodes an integer (no fraction, no exponent).
func (d *decoder) int64() (int64, bool) {
	d.space()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i-digits > 1 && d.b[digits] == '0' { // JSON has no leading zeros
		return 0, false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	return n, err == nil
}

// strInto and int64Into decode into a field (for the object callbacks).
func (d *decoder) strInto(p *string) bool {
	s, ok := d.str()
	*p = s
	return ok
}

func (d *decoder) int64Into(p *int64) bool {
	n, ok := d.int64()
	*p = n
	return ok
}

// rawString returns the bytes of a string token, quotes included, for an
// UnmarshalJSON method.
func (d *decoder) rawString() ([]byte, bool) {
	d.space()
	start := d.i
	if _, ok := d.str(); !ok {
		return nil, false
	}
	return d.b[start:d.i], true
}

func (d *decoder) meta(m *Meta) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "v":
			n, ok := d.int64()
			m.Version = int(n)
			return ok && int64(m.Version) == n
		case "env":
			return d.envelope(&m.Envelope)
		case "sent":
			raw, ok := d.rawString()
			return ok && m.SentDate.UnmarshalJSON(raw) == nil
		case "hdr":
			if !d.skipHeaders {
				return list(d, &m.Headers, (*decoder).field)
			}
			// Checked as they would be read, not kept.
			return d.array(func() bool {
				return d.object(func(key []byte) bool {
					switch string(key) {
					case "n", "v":
						return d.skipString()
					}
					return false
				})
			})
		case "body":
			return d.part(&m.Body)
		case "ws":
			return d.int64Into(&m.WireSize)
		}
		return false
	})
}

func (d *decoder) envelope(e *Envelope) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "date":
			return d.strInto(&e.Date)
		case "subj":
			return d.strInto(&e.Subject)
		case "from":
			return d.addresses(&e.From)
		case "sender":
			return d.addresses(&e.Sender)
		case "rt":
			return d.addresses(&e.ReplyTo)
		case "to":
			return d.addresses(&e.To)
		case "cc":
			return d.addresses(&e.Cc)
		case "bcc":
			return d.addresses(&e.Bcc)
		case "irt":
			return d.strInto(&e.InReplyTo)
		case "mid":
			return d.strInto(&e.MessageID)
		}
		return false
	})
}

// list decodes an array of objects into *p, the keys of each by set.
func list[T any](d *decoder, p *[]T, set func(d *decoder, v *T, key []byte) bool) bool {
	*p = []T{}
	return d.array(func() bool {
		*p = append(*p, *new(T))
		v := &(*p)[len(*p)-1]
		return d.object(func(key []byte) bool { return set(d, v, key) })
	})
}

// nameValue decodes the keys of a Field or a Param.
func (d *decoder) nameValue(name, value *string, key []byte) bool {
	switch string(key) {
	case "n":
		return d.strInto(name)
	case "v":
		return d.strInto(value)
	}
	return false
}

func (d *decoder) field(f *Field, key []byte) bool { return d.nameValue(&f.Name, &f.Value, key) }
func (d *decoder) param(p *Param, key []byte) bool { return d.nameValue(&p.Name, &p.Value, key) }

func (d *decoder) address(a *Address, key []byte) bool {
	switch string(key) {
	case "n":
		return d.strInto(&a.Name)
	case "a":
		return d.strInto(&a.Adl)
	case "m":
		return d.strInto(&a.Mailbox)
	case "h":
		return d.strInto(&a.Host)
	}
	return false
}

func (d *decoder) addresses(p *[]Address) bool { return list(d, p, (*decoder).address) }

func (d *decoder) part(p *Part) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "t":
			return d.strInto(&p.Type)
		case "st":
			return d.strInto(&p.Subtype)
		case "p":
			return list(d, &p.Params, (*decoder).param)
		case "id":
			return d.strInto(&p.ID)
		case "desc":
			return d.strInto(&p.Description)
		case "enc":
			return d.strInto(&p.Encoding)
		case "md5":
			return d.strInto(&p.MD5)
		case "disp":
			return d.strInto(&p.Disposition)
		case "dp":
			return list(d, &p.DispParams, (*decoder).param)
		case "lang":
			p.Language = []string{}
			return d.array(func() bool {
				s, ok := d.str()
				p.Language = append(p.Language, s)
				return ok
			})
		case "loc":
			return d.strInto(&p.Location)
		case "off":
			return d.int64Into(&p.Offset)
		case "hs":
			return d.int64Into(&p.HeaderSize)
		case "bs":
			return d.int64Into(&p.BodySize)
		case "ln":
			return d.int64Into(&p.Lines)
		case "ch":
			p.Children = []Part{}
			return d.array(func() bool {
				p.Children = append(p.Children, Part{})
				return d.part(&p.Children[len(p.Children)-1])
			})
		case "msg":
			p.Message = new(Meta)
			return d.meta(p.Message)
		}
		return false
	})
}
