package msgmeta

import "strings"

// maxAddresses bounds the addresses (and group markers) kept per field.
const maxAddresses = 2000

// Placeholders for the missing parts of an address, so that it is never
// read as a group marker (RFC 9051 §7.5.2: a NIL host means group syntax).
// They are the ones Dovecot uses.
const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
)

// word is an atom or quoted string of a phrase or local part.
type word struct {
	raw string // as written, quotes included: for local parts
	val string // quotes and escapes removed: for display names
}

// addrParser parses address lists leniently.
type addrParser struct {
	lexer
	out []Address
}

// parseAddressList parses an RFC 5322 §3.4 address-list, with the obsolete
// forms of §4.4 (obs-phrase, obs-route, CFWS around dots, empty list
// elements). Display names stay as written (encoded words not decoded: IMAP
// sends them so), without quotes; a comment is the name of an address that
// has none ("user@host (Name)"). A word without '@' is a mailbox without a
// host.
func parseAddressList(s string) []Address {
	p := addrParser{lexer: lexer{s: s}}
	for len(p.out) < maxAddresses {
		p.skipWSP() // not comments: they may name the next address
		if p.eof() {
			break
		}
		start := p.i
		switch p.peek() {
		case ',', ';', '>':
			p.i++
		default:
			p.mailboxOrGroup(true)
		}
		if p.i == start {
			p.i++
		}
	}
	return p.out
}

// mailboxOrGroup reads a name-addr, an addr-spec or (if allowGroup) a group.
func (p *addrParser) mailboxOrGroup(allowGroup bool) {
	words, comment := p.phrase()
	switch p.peek() {
	case ':':
		p.i++
		if allowGroup {
			p.group(words)
		} // else a group in a group: its name is dropped
	case '<':
		p.i++
		a := p.angleAddr()
		if a.Name = phraseText(words); a.Name == "" {
			a.Name = comment
		}
		p.emit(a)
	case '@':
		p.i++
		host, c := p.domain()
		if c != "" {
			comment = c
		}
		p.emit(Address{Name: comment, Mailbox: localPart(words), Host: host})
	default:
		if len(words) > 0 {
			p.emit(Address{Name: comment, Mailbox: phraseText(words)})
		}
	}
}

// group reads the members of a group up to its ';' (RFC 5322 §3.4) and
// emits the group start and end markers of RFC 9051 §7.5.2 around them.
func (p *addrParser) group(name []word) {
	g := phraseText(name)
	if g == "" {
		g = missingMailbox
	}
	p.out = append(p.out, Address{Mailbox: clean(g)})
	for len(p.out) < maxAddresses {
		p.skipWSP()
		if p.eof() {
			break
		}
		c, start := p.peek(), p.i
		if c == ';' {
			p.i++
			break
		}
		if c == ',' || c == '>' || c == ':' {
			p.i++
			continue
		}
		p.mailboxOrGroup(false)
		if p.i == start {
			p.i++
		}
	}
	p.out = append(p.out, Address{})
}

// emit appends a, with placeholders for a missing mailbox or host; an
// address with nothing at all is dropped.
func (p *addrParser) emit(a Address) {
	if a == (Address{}) || len(p.out) >= maxAddresses {
		return
	}
	if a.Mailbox == "" {
		a.Mailbox = missingMailbox
	}
	if a.Host == "" {
		a.Host = missingDomain
	}
	p.out = append(p.out, Address{Name: clean(a.Name), Adl: clean(a.Adl), Mailbox: clean(a.Mailbox), Host: clean(a.Host)})
}

// phrase reads words up to a special that ends a phrase, and returns them
// with the text of the last comment met.
func (p *addrParser) phrase() ([]word, string) {
	var words []word
	var comment string
	for {
		if c := p.skipCFWS(); c != "" {
			comment = c
		}
		switch c := p.peek(); {
		case c == -1 || strings.IndexByte("<>@:;,", byte(c)) >= 0:
			return words, comment
		case c == '"':
			start := p.i
			v := p.quoted()
			words = append(words, word{raw: p.s[start:p.i], val: v})
		default:
			if t := p.token(addrSpecials); t != "" {
				words = append(words, word{raw: t, val: t})
			} else {
				p.i++ // a stray '[', ']' or ')'
			}
		}
	}
}

// angleAddr reads what follows '<': [obs-route] addr-spec '>'.
func (p *addrParser) angleAddr() Address {
	var a Address
	p.skipCFWS()
	if p.peek() == '@' { // RFC 5322 §4.4 obs-route: "@a,@b:"
		start := p.i
		for !p.eof() && p.s[p.i] != ':' && p.s[p.i] != '>' {
			p.i++
		}
		a.Adl = strings.Join(strings.Fields(p.s[start:p.i]), "")
		if p.peek() == ':' {
			p.i++
		}
	}
	words, _ := p.phrase()
	a.Mailbox = localPart(words)
	if p.peek() == '@' {
		p.i++
		a.Host, _ = p.domain()
	}
	if p.skipCFWS(); p.peek() == '>' {
		p.i++
	}
	return a
}

// domain reads a domain (dot-atom, obs-domain with CFWS around dots, or a
// domain literal) and returns it with the last comment met, which names an
// addr-spec that has no display name.
func (p *addrParser) domain() (string, string) {
	var sb strings.Builder
	var comment string
	last := byte(0)
	for {
		if c := p.skipCFWS(); c != "" {
			comment = c
		}
		piece := ""
		if p.peek() == '[' { // RFC 5322 §3.4.1 domain-literal
			start := p.i
			p.skipPast(']')
			piece = p.s[start:p.i]
		} else {
			piece = p.token(addrSpecials)
		}
		if piece == "" {
			return sb.String(), comment
		}
		sb.WriteString(piece)
		last = piece[len(piece)-1]
		if c := p.skipCFWS(); c != "" {
			comment = c
		}
		if last != '.' && p.peek() != '.' {
			return sb.String(), comment
		}
	}
}

// localPart joins words as written: "john . doe" is john.doe.
func localPart(words []word) string {
	var sb strings.Builder
	for _, w := range words {
		sb.WriteString(w.raw)
	}
	return sb.String()
}

// phraseText joins the words of a display name with single spaces.
func phraseText(words []word) string {
	vals := make([]string, len(words))
	for i, w := range words {
		vals[i] = w.val
	}
	return strings.TrimSpace(strings.Join(vals, " "))
}
