package msgmeta

import "strings"

// Find returns the part that an IMAP section part number designates (RFC
// 9051 §6.4.5), p being the body of a message, or nil when there is none.
// An empty path is p itself. The parts of a multipart are numbered from 1;
// a message that is not multipart has only a part 1, its body; the parts
// of a message/rfc822 (or message/global) part are numbered within the
// encapsulated message, so "2.1" is the body of the message in part 2, or
// that body's first child when it is a multipart.
func (p *Part) Find(path []int) *Part {
	cur := p
	atMessage := true // cur is the body of a message
	for _, n := range path {
		if n < 1 {
			return nil
		}
		if !atMessage && !cur.isMultipart() {
			if cur.Message == nil {
				return nil
			}
			cur, atMessage = &cur.Message.Body, true
		}
		switch {
		case cur.isMultipart():
			if n > len(cur.Children) {
				return nil
			}
			cur = &cur.Children[n-1]
		case n != 1:
			return nil
		}
		atMessage = false
	}
	return cur
}

// isMultipart reports whether p is a multipart with children.
func (p *Part) isMultipart() bool {
	return len(p.Children) > 0 && strings.EqualFold(p.Type, "multipart")
}
