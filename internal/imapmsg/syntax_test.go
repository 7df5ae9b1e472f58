package imapmsg

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file checks output against the IMAP grammar (RFC 9051 §9): a small
// parser of the response syntax, and validators of body and envelope.

// node is a parsed IMAP value.
type node struct {
	kind byte // '(' list, '"' string, 'N' NIL, '#' number
	str  string
	list []node
}

func (n node) isNString() bool { return n.kind == '"' || n.kind == 'N' }

// parseValue parses exactly one value from s. Without utf8, strings must
// be ASCII.
func parseValue(s string, utf8 bool) (node, error) {
	p := &syntaxParser{s: s, utf8: utf8}
	n, err := p.value()
	if err == nil && p.i != len(s) {
		err = fmt.Errorf("trailing bytes at %d", p.i)
	}
	return n, err
}

type syntaxParser struct {
	s    string
	i    int
	utf8 bool
}

func (p *syntaxParser) value() (node, error) {
	if p.i >= len(p.s) {
		return node{}, errors.New("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '(':
		return p.parseList()
	case c == '"':
		return p.quoted()
	case c == '{':
		return p.literal()
	case strings.HasPrefix(p.s[p.i:], "NIL"):
		p.i += 3
		return node{kind: 'N'}, nil
	case c >= '0' && c <= '9':
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		return node{kind: '#', str: p.s[j:p.i]}, nil
	}
	return node{}, fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
}

// parseList: items are separated by one space, except that a list may
// directly follow a list (body-type-mpart = 1*body SP media-subtype).
func (p *syntaxParser) parseList() (node, error) {
	p.i++
	n := node{kind: '('}
	for {
		if p.i >= len(p.s) {
			return n, errors.New("unclosed list")
		}
		if p.s[p.i] == ')' && len(n.list) > 0 {
			p.i++
			return n, nil
		}
		if len(n.list) > 0 {
			prevList := n.list[len(n.list)-1].kind == '('
			if p.s[p.i] == ' ' {
				p.i++
			} else if !(prevList && p.s[p.i] == '(') {
				return n, fmt.Errorf("missing space at %d", p.i)
			}
		}
		v, err := p.value()
		if err != nil {
			return n, err
		}
		n.list = append(n.list, v)
	}
}

func (p *syntaxParser) quoted() (node, error) {
	var sb strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return node{kind: '"', str: sb.String()}, nil
		case c == '\\':
			if p.i+1 >= len(p.s) || (p.s[p.i+1] != '"' && p.s[p.i+1] != '\\') {
				return node{}, fmt.Errorf("bad escape at %d", p.i)
			}
			p.i++
			sb.WriteByte(p.s[p.i])
		case c == '\r' || c == '\n' || c == 0:
			return node{}, fmt.Errorf("%q in a quoted string at %d", c, p.i)
		case c >= 0x80 && !p.utf8:
			return node{}, fmt.Errorf("8-bit byte in a quoted string at %d", p.i)
		default:
			sb.WriteByte(c)
		}
	}
	return node{}, errors.New("unclosed quoted string")
}

func (p *syntaxParser) literal() (node, error) {
	end := strings.Index(p.s[p.i:], "}\r\n")
	if end < 0 {
		return node{}, errors.New("bad literal")
	}
	n, err := strconv.Atoi(p.s[p.i+1 : p.i+end])
	if err != nil || n < 0 {
		return node{}, fmt.Errorf("bad literal size at %d", p.i)
	}
	p.i += end + 3
	if p.i+n > len(p.s) {
		return node{}, errors.New("short literal")
	}
	v := p.s[p.i : p.i+n]
	p.i += n
	if strings.IndexByte(v, 0) >= 0 {
		return node{}, errors.New("NUL in a literal")
	}
	return node{kind: '"', str: v}, nil
}

// checkBody validates a body (RFC 9051 §9 body), with extension data when
// ext (BODYSTRUCTURE) and none otherwise (BODY).
func checkBody(n node, ext bool) error {
	if n.kind != '(' {
		return errors.New("body is not a list")
	}
	if n.list[0].kind == '(' {
		return checkMultipart(n.list, ext)
	}
	return checkSinglePart(n.list, ext)
}

func checkMultipart(l []node, ext bool) error {
	i := 0
	for ; i < len(l) && l[i].kind == '('; i++ {
		if err := checkBody(l[i], ext); err != nil {
			return err
		}
	}
	if i == len(l) || l[i].kind != '"' {
		return errors.New("multipart without a subtype")
	}
	rest := l[i+1:]
	if !ext {
		return wantLen(rest, 0, "BODY multipart extension")
	}
	if err := wantLen(rest, 4, "multipart extension"); err != nil {
		return err
	}
	return checkExt(rest[0], rest[1:], checkParams)
}

func checkSinglePart(l []node, ext bool) error {
	if len(l) < 7 {
		return fmt.Errorf("single part with %d fields", len(l))
	}
	typ, sub := l[0], l[1]
	if typ.kind != '"' || sub.kind != '"' || l[5].kind != '"' || l[6].kind != '#' ||
		!l[3].isNString() || !l[4].isNString() {
		return errors.New("bad body-fields")
	}
	if err := checkParams(l[2]); err != nil {
		return err
	}
	rest := l[7:]
	switch {
	case isMessageType(typ.str, sub.str):
		if len(rest) < 3 || rest[2].kind != '#' {
			return errors.New("message part without envelope, body and lines")
		}
		if err := checkEnvelope(rest[0]); err != nil {
			return err
		}
		if err := checkBody(rest[1], ext); err != nil {
			return err
		}
		rest = rest[3:]
	case strings.EqualFold(typ.str, "text"):
		if len(rest) < 1 || rest[0].kind != '#' {
			return errors.New("text part without lines")
		}
		rest = rest[1:]
	}
	if !ext {
		return wantLen(rest, 0, "BODY extension")
	}
	if err := wantLen(rest, 4, "single part extension"); err != nil {
		return err
	}
	return checkExt(rest[0], rest[1:], func(n node) error {
		if !n.isNString() {
			return errors.New("bad body-fld-md5")
		}
		return nil
	})
}

// checkExt checks the first extension field and then dsp, lang, loc.
func checkExt(first node, tail []node, checkFirst func(node) error) error {
	if err := checkFirst(first); err != nil {
		return err
	}
	dsp, lang, loc := tail[0], tail[1], tail[2]
	if dsp.kind == '(' {
		if len(dsp.list) != 2 || dsp.list[0].kind != '"' || checkParams(dsp.list[1]) != nil {
			return errors.New("bad body-fld-dsp")
		}
	} else if dsp.kind != 'N' {
		return errors.New("bad body-fld-dsp")
	}
	if lang.kind == '(' {
		for _, s := range lang.list {
			if s.kind != '"' {
				return errors.New("bad body-fld-lang")
			}
		}
	} else if !lang.isNString() {
		return errors.New("bad body-fld-lang")
	}
	if !loc.isNString() {
		return errors.New("bad body-fld-loc")
	}
	return nil
}

func checkParams(n node) error {
	if n.kind == 'N' {
		return nil
	}
	if n.kind != '(' || len(n.list)%2 != 0 {
		return errors.New("bad body-fld-param")
	}
	for _, s := range n.list {
		if s.kind != '"' {
			return errors.New("bad body-fld-param string")
		}
	}
	return nil
}

// checkEnvelope validates RFC 9051 §9 envelope.
func checkEnvelope(n node) error {
	if n.kind != '(' || len(n.list) != 10 {
		return errors.New("envelope is not a list of 10")
	}
	for i, f := range n.list {
		if i >= 2 && i <= 7 {
			if err := checkAddresses(f); err != nil {
				return err
			}
		} else if !f.isNString() {
			return fmt.Errorf("envelope field %d is not an nstring", i)
		}
	}
	return nil
}

func checkAddresses(n node) error {
	if n.kind == 'N' {
		return nil
	}
	if n.kind != '(' {
		return errors.New("address list is not a list")
	}
	for _, a := range n.list {
		if a.kind != '(' || len(a.list) != 4 {
			return errors.New("address is not a list of 4")
		}
		for _, f := range a.list {
			if !f.isNString() {
				return errors.New("address field is not an nstring")
			}
		}
	}
	return nil
}

func wantLen(l []node, n int, what string) error {
	if len(l) != n {
		return fmt.Errorf("%s: %d fields, want %d", what, len(l), n)
	}
	return nil
}
