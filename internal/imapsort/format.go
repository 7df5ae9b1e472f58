package imapsort

import "strconv"

// AppendThreads appends the thread-list of a THREAD response (RFC 5256
// §4: "(" thread-members / thread-nested ")" per thread), naming each
// message by num (its sequence number or UID).
func AppendThreads(b []byte, roots []*Node, num func(msg int) uint32) []byte {
	for _, r := range roots {
		b = appendThread(b, r, num)
	}
	return b
}

// appendThread writes one parenthesised thread: a chain of single
// children as "a b c", then the branches each in parentheses; a dummy
// has no number of its own.
func appendThread(b []byte, n *Node, num func(int) uint32) []byte {
	b = append(b, '(')
	sep := false
	for {
		if !n.dummy() {
			if sep {
				b = append(b, ' ')
			}
			b = strconv.AppendUint(b, uint64(num(n.Msg)), 10)
			sep = true
		}
		if len(n.Children) != 1 {
			break
		}
		n = n.Children[0]
	}
	if len(n.Children) > 0 && sep {
		b = append(b, ' ')
	}
	for _, ch := range n.Children {
		b = appendThread(b, ch, num)
	}
	return append(b, ')')
}
