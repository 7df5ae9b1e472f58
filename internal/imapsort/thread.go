package imapsort

import (
	"cmp"
	"slices"
)

// Node is one node of a thread tree: a message (Msg, a position in the
// msgs given to the algorithm) or, with Msg -1, a dummy standing for a
// message that is not there (RFC 5256 §3 REFERENCES).
type Node struct {
	Msg      int
	Children []*Node
	parent   *Node
}

func (n *Node) dummy() bool { return n.Msg < 0 }

// OrderedSubject threads msgs by the ORDEREDSUBJECT algorithm (RFC 5256
// §3): messages grouped by base subject (Need.Subject), each group a
// thread whose first message by sent date is the parent of the others;
// threads ordered by the sent date of their first message.
func OrderedSubject(msgs []Msg) []*Node {
	order := Sort(msgs, []Criterion{{Key: Subject}, {Key: Date}})
	var roots []*Node
	for i, p := range order {
		if i > 0 && msgs[p].Base == msgs[order[i-1]].Base {
			root := roots[len(roots)-1]
			root.Children = append(root.Children, &Node{Msg: int(p), parent: root})
			continue
		}
		roots = append(roots, &Node{Msg: int(p)})
	}
	sortSiblings(msgs, roots)
	return roots
}

// before orders two messages by sent date, then mailbox order.
func before(msgs []Msg, a, b int) int {
	if c := cmp.Compare(msgs[a].Sent, msgs[b].Sent); c != 0 {
		return c
	}
	return cmp.Compare(msgs[a].Index, msgs[b].Index)
}

// first is the message a node sorts and is named by: its own, or a
// dummy's first child's (RFC 5256 §3 REFERENCES steps 4, 5B, 6).
func (n *Node) first() int {
	for n.dummy() && len(n.Children) > 0 {
		n = n.Children[0]
	}
	return n.Msg
}

// sortSiblings sorts a set of siblings by sent date (then mailbox
// order), dummies by their first child.
func sortSiblings(msgs []Msg, nodes []*Node) {
	slices.SortStableFunc(nodes, func(a, b *Node) int { return before(msgs, a.first(), b.first()) })
}

// References threads msgs by the REFERENCES algorithm (RFC 5256 §3),
// which needs Need.Refs and Need.Subject.
func References(msgs []Msg) []*Node {
	roots := link(msgs)                // steps 1 and 2
	roots = pruneAll(roots)            // step 3
	sortTree(msgs, roots)              // steps 4 and 6 (children first)
	roots = mergeSubjects(msgs, roots) // step 5
	sortTree(msgs, roots)              // step 6, once the merge is done
	return roots
}

// link is step 1 (parent/child links from the References) and step 2
// (the root set, in the order the containers were made).
func link(msgs []Msg) []*Node {
	byID := make(map[string]*Node, len(msgs))
	var all []*Node
	get := func(id string) *Node {
		c := byID[id]
		if c == nil {
			c = &Node{Msg: -1}
			byID[id] = c
			all = append(all, c)
		}
		return c
	}
	for i := range msgs {
		m := &msgs[i]
		var c *Node
		// (1A) A message without a Message-ID, or with one already
		// seen, gets a container of its own.
		if m.MessageID != "" && byID[m.MessageID] != nil && byID[m.MessageID].dummy() {
			c = byID[m.MessageID]
		} else if m.MessageID != "" && byID[m.MessageID] == nil {
			c = get(m.MessageID)
		} else {
			c = &Node{Msg: -1}
			all = append(all, c)
		}
		c.Msg = i
		// (1B) Link each reference to the next, unless the child has a
		// parent already or the link would make a loop.
		var prev *Node
		for _, id := range m.Refs {
			r := get(id)
			if prev != nil && r.parent == nil && !descends(prev, r) {
				adopt(prev, r)
			}
			prev = r
		}
		// (1C) The last reference is the message's parent: an older
		// link is broken, a loop is not made.
		if prev != nil && !descends(prev, c) {
			if c.parent != nil {
				unlink(c)
			}
			adopt(prev, c)
		}
	}
	var roots []*Node
	for _, c := range all {
		if c.parent == nil {
			roots = append(roots, c)
		}
	}
	return roots
}

// maxWalk bounds the walk up from a node when checking for a loop: a
// link that would need more is not made (as if it made a loop), so a
// crafted chain of references cannot make threading quadratic.
const maxWalk = 10000

// descends reports whether n is c or one of c's descendants (or too far
// down to tell, maxWalk).
func descends(n, c *Node) bool {
	if len(c.Children) == 0 {
		return n == c // nothing below c
	}
	for i := 0; n != nil; n = n.parent {
		if n == c || i == maxWalk {
			return true
		}
		i++
	}
	return false
}

func adopt(parent, child *Node) {
	child.parent = parent
	parent.Children = append(parent.Children, child)
}

func unlink(c *Node) {
	p := c.parent
	p.Children = slices.DeleteFunc(p.Children, func(n *Node) bool { return n == c })
	c.parent = nil
}

// pruneAll is step 3 over the root set.
func pruneAll(roots []*Node) []*Node {
	var out []*Node
	for _, r := range roots {
		out = append(out, prune(r, true)...)
	}
	for _, r := range out {
		r.parent = nil
	}
	return out
}

// prune returns what replaces n among its siblings (RFC 5256 §3
// REFERENCES step 3): (A) a dummy without children goes; (B) a dummy's
// children take its place, unless that would put more than one of them
// in the root set.
func prune(n *Node, root bool) []*Node {
	var kids []*Node
	for _, ch := range n.Children {
		kids = append(kids, prune(ch, false)...)
	}
	n.Children = kids
	for _, ch := range kids {
		ch.parent = n
	}
	if !n.dummy() {
		return []*Node{n}
	}
	if len(kids) == 0 || !root || len(kids) == 1 {
		return kids
	}
	return []*Node{n}
}

// sortTree sorts every set of siblings, the deepest first, the root
// set last (steps 4 and 6).
func sortTree(msgs []Msg, roots []*Node) {
	var walk func(ns []*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			if len(n.Children) > 0 {
				walk(n.Children)
			}
		}
		sortSiblings(msgs, ns)
	}
	walk(roots)
}

// mergeSubjects is step 5: root threads with the same base subject are
// gathered.
func mergeSubjects(msgs []Msg, roots []*Node) []*Node {
	subject := func(n *Node) (string, bool) {
		m := &msgs[n.first()]
		return m.Base, m.Reply
	}
	// (5A, 5B) The subject table: a dummy wins over a message, a
	// message that is not a reply over one that is.
	table := map[string]*Node{}
	for _, n := range roots {
		s, reply := subject(n)
		if s == "" {
			continue
		}
		old := table[s]
		if old == nil || n.dummy() && !old.dummy() {
			table[s] = n
			continue
		}
		if _, oldReply := subject(old); !old.dummy() && oldReply && !reply {
			table[s] = n
		}
	}
	// (5C) Merge each root into the table's thread of its subject.
	out := make([]*Node, len(roots))
	copy(out, roots)
	pos := make(map[*Node]int, len(roots))
	for i, n := range out {
		pos[n] = i
	}
	for i, n := range roots {
		s, reply := subject(n)
		t := table[s]
		if s == "" || t == n {
			continue
		}
		out[i] = nil
		switch {
		case n.dummy() && t.dummy(): // (i) both dummies: one set of children
			for _, ch := range n.Children {
				adopt(t, ch)
			}
		case t.dummy(): // (ii) the message goes under the dummy
			adopt(t, n)
		case n.dummy(): // (ii) the other way round
			adopt(n, t)
			out[pos[t]], pos[n] = n, pos[t]
			table[s] = n
		case !tableReply(msgs, t) && reply: // (iii) a reply under the original
			adopt(t, n)
		default: // (iv) both under a new dummy
			d := &Node{Msg: -1}
			adopt(d, t)
			adopt(d, n)
			out[pos[t]], pos[d] = d, pos[t]
			table[s] = d
		}
	}
	return slices.DeleteFunc(out, func(n *Node) bool { return n == nil })
}

func tableReply(msgs []Msg, t *Node) bool { return msgs[t.first()].Reply }
