package sieve

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// cnode is the checked form of a node: tags with their parameters, the
// positional arguments, and the match options decided at compile time.
type cnode struct {
	tags map[string]arg
	args []arg // positional, with omitted optional ones as zero args
	mo   matchOpts
	addr string // address part: all, localpart, domain, user, detail
	idx  int    // :index (0 = none), negative with :last
	// elseNext links an if/elsif to its elsif/else.
	elseNext *node
}

func (c *cnode) has(tag string) bool { _, ok := c.tags[tag]; return ok }

func (c *cnode) str(tag string) string {
	if a, ok := c.tags[tag]; ok && len(a.strs) > 0 {
		return a.strs[0]
	}
	return ""
}

// matchOpts are a test's comparator and match type (RFC 5228 §2.7).
type matchOpts struct {
	typ string // is, contains, matches, regex, value, count
	rel string // gt, ge, lt, le, eq, ne for value and count
	cmp string // i;ascii-casemap, i;octet, i;ascii-numeric
	res []*regexp.Regexp
}

type compiler struct {
	specs map[string]cmdSpec
	caps  []string
	// The tags shared by several tests.
	matchTags, addrTags, indexTags map[string]tagSpec
	req                            map[string]bool
	vars                           bool
	loops                          int // foreverypart nesting
}

// compile checks the parsed script against specs and fills each node's c.
func compile(cmds []*node) (map[string]bool, error) {
	cp := &compiler{specs: specs(), caps: capabilities(), req: map[string]bool{},
		matchTags: matchTags(), addrTags: addrTags(), indexTags: indexTags()}
	if err := cp.block(cmds, true); err != nil {
		return nil, err
	}
	return cp.req, nil
}

func errAt(p Pos, format string, a ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, a...)}
}

func (cp *compiler) block(cmds []*node, top bool) error {
	requireOK := top
	for i, n := range cmds {
		if n.name == "require" {
			if !requireOK {
				return errAt(n.pos, "require must come before other commands")
			}
		} else {
			requireOK = false
		}
		if n.name == "elsif" || n.name == "else" {
			if i == 0 || (cmds[i-1].name != "if" && cmds[i-1].name != "elsif") {
				return errAt(n.pos, "%s without a preceding if", n.name)
			}
			cmds[i-1].c.elseNext = n
		}
		if err := cp.node(n, false); err != nil {
			return err
		}
		if n.name == "require" {
			for _, c := range n.c.args[0].strs {
				if !slices.Contains(cp.caps, c) {
					return errAt(n.pos, "unsupported extension %q", c)
				}
				cp.req[c] = true
			}
			cp.vars = cp.req["variables"]
			// RFC 5173 needs nothing more; RFC 5429 ereject and reject
			// are separate capabilities.
		}
		if n.hasBk {
			if n.name == "foreverypart" {
				cp.loops++
			}
			err := cp.block(n.block, false)
			if n.name == "foreverypart" {
				cp.loops--
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (cp *compiler) node(n *node, asTest bool) error {
	sp, ok := cp.specs[n.name]
	if !ok || sp.test != asTest {
		what := "command"
		if asTest {
			what = "test"
		}
		return errAt(n.pos, "unknown %s %q", what, n.name)
	}
	if sp.ext != "" && !cp.req[sp.ext] {
		return errAt(n.pos, "%s needs require %q", n.name, sp.ext)
	}
	c := &cnode{tags: map[string]arg{}}
	n.c = c
	if err := cp.encoded(n); err != nil {
		return err
	}
	pos, err := cp.tags(n, sp)
	if err != nil {
		return err
	}
	if err := cp.positional(n, sp, pos); err != nil {
		return err
	}
	if err := cp.shape(n, sp); err != nil {
		return err
	}
	for _, t := range n.tests {
		if err := cp.node(t, true); err != nil {
			return err
		}
	}
	if n.name == "extracttext" && !cp.req["variables"] {
		return errAt(n.pos, "extracttext needs require \"variables\"")
	}
	if (n.name == "break" || n.name == "extracttext") && cp.loops == 0 {
		return errAt(n.pos, "%s outside foreverypart", n.name)
	}
	if (n.c.has("anychild") || n.c.has("type") || n.c.has("subtype") || n.c.has("contenttype") || n.c.has("param")) && !n.c.has("mime") {
		return errAt(n.pos, "the MIME options of %s need :mime", n.name)
	}
	if err := cp.constants(n); err != nil {
		return err
	}
	if sp.match || n.name == "deleteheader" {
		return cp.matchOpts(n)
	}
	return nil
}

// addressField says whether the address test may read field name: RFC
// 5228 §5.1 requires the fields holding address lists; the list is
// Pigeonhole's, so that a script valid there is valid here.
func addressField(name string) bool {
	switch strings.ToLower(name) {
	case "from", "sender", "reply-to", "to", "cc", "bcc",
		"resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc", "resent-reply-to",
		"delivered-to", "x-original-to", "errors-to", "mail-followup-to", "mail-reply-to", "return-receipt-to":
		return true
	}
	return false
}

// constant is a string argument's value when it holds no variable
// reference (known at compile time).
func (cp *compiler) constant(s string) (string, bool) {
	if cp.vars && strings.Contains(s, "${") {
		return "", false
	}
	return s, true
}

// constants checks what can be known before a run: addresses (RFC 5228
// §4.2, RFC 5230 §4.4), variable names (RFC 5229 §4), header field names
// (RFC 5293 §4).
func (cp *compiler) constants(n *node) error {
	c := n.c
	switch n.name {
	case "redirect":
		if v, ok := cp.constant(c.args[0].strs[0]); ok && !validRedirect(v) {
			return errAt(c.args[0].pos, "redirect to an invalid address %q", v)
		}
	case "vacation":
		if a, ok := c.tags["from"]; ok {
			if v, ok := cp.constant(a.strs[0]); ok && !validFrom(v) {
				return errAt(a.pos, "vacation :from %q is not an address", v)
			}
		}
	case "set":
		if v, ok := cp.constant(c.args[0].strs[0]); ok && !validSetName(v) {
			return errAt(c.args[0].pos, "invalid variable name %q", v)
		}
	case "address":
		for _, h := range c.args[0].strs {
			if v, ok := cp.constant(h); ok && !addressField(v) {
				return errAt(c.args[0].pos, "%q is not an address field for the address test", v)
			}
		}
	case "envelope":
		for _, p := range c.args[0].strs {
			if v, ok := cp.constant(p); ok && !slices.Contains([]string{"from", "to", "auth"}, strings.ToLower(v)) {
				return errAt(c.args[0].pos, "unknown envelope part %q", v)
			}
		}
	case "addheader", "deleteheader":
		if v, ok := cp.constant(c.args[0].strs[0]); ok && !validFieldName(v) {
			return errAt(c.args[0].pos, "invalid header field name %q", v)
		}
	}
	return nil
}

// tags reads the tagged arguments, which come before the positional ones
// (RFC 5228 §2.6.2), and returns the positional ones.
func (cp *compiler) tags(n *node, sp cmdSpec) ([]arg, error) {
	groups := map[string]string{}
	args := n.args
	for len(args) > 0 && args[0].kind == aTag {
		a := args[0]
		args = args[1:]
		ts, ok := sp.tags[a.tag]
		if !ok && sp.match {
			ts, ok = cp.matchTags[a.tag]
		}
		if !ok && sp.addr {
			ts, ok = cp.addrTags[a.tag]
		}
		if !ok && sp.index {
			ts, ok = cp.indexTags[a.tag]
		}
		if !ok {
			return nil, errAt(a.pos, "unknown tag :%s for %s", a.tag, n.name)
		}
		if ts.ext != "" && !cp.req[ts.ext] {
			return nil, errAt(a.pos, ":%s needs require %q", a.tag, ts.ext)
		}
		if _, dup := n.c.tags[a.tag]; dup {
			return nil, errAt(a.pos, "tag :%s given twice", a.tag)
		}
		if ts.group != "" {
			if prev, dup := groups[ts.group]; dup {
				return nil, errAt(a.pos, ":%s cannot be used with :%s", a.tag, prev)
			}
			groups[ts.group] = a.tag
		}
		if ts.param != pNone {
			if len(args) == 0 || !fits(args[0], ts.param) {
				return nil, errAt(a.pos, ":%s needs %s", a.tag, kindName(ts.param))
			}
			p := args[0]
			p.tag = a.tag
			a = p
			args = args[1:]
		}
		n.c.tags[a.tag] = a
	}
	return args, nil
}

func fits(a arg, k pkind) bool {
	switch k {
	case pString:
		return a.kind == aStrings && len(a.strs) == 1 && !a.list
	case pStrings:
		return a.kind == aStrings
	case pNumber:
		return a.kind == aNumber
	}
	return a.kind == aTag
}

func kindName(k pkind) string {
	return map[pkind]string{pString: "a string", pStrings: "a string list", pNumber: "a number"}[k]
}

func (cp *compiler) positional(n *node, sp cmdSpec, pos []arg) error {
	want := sp.args
	have := len(pos)
	for _, a := range pos {
		if a.kind == aTag {
			return errAt(a.pos, "tag :%s must come before the other arguments", a.tag)
		}
	}
	if have < len(want)-sp.optHead-sp.optTail || have > len(want) {
		if have > 0 && pos[have-1].kind == aTag {
			return errAt(pos[have-1].pos, "tag :%s must come before the other arguments", pos[have-1].tag)
		}
		return errAt(n.pos, "%s takes %d arguments, found %d", n.name, len(want)-sp.optHead-sp.optTail, have)
	}
	skip := 0
	if sp.optHead > 0 && have < len(want) {
		skip = len(want) - have
		if sp.optTail > 0 {
			skip = 0
		}
	}
	out := make([]arg, len(want))
	for i, a := range pos {
		k := want[i+skip]
		if !fits(a, k) {
			if a.kind == aTag {
				return errAt(a.pos, "tag :%s must come before the other arguments", a.tag)
			}
			return errAt(a.pos, "argument %d of %s must be %s", i+1, n.name, kindName(k))
		}
		out[i+skip] = a
	}
	n.c.args = out
	return nil
}

func (cp *compiler) shape(n *node, sp cmdSpec) error {
	switch {
	case sp.tests == 0 && len(n.tests) > 0:
		return errAt(n.tests[0].pos, "%s takes no test", n.name)
	case sp.tests == 1 && len(n.tests) != 1:
		return errAt(n.pos, "%s needs one test", n.name)
	case sp.tests == -1 && len(n.tests) == 0:
		return errAt(n.pos, "%s needs a test list", n.name)
	}
	if !sp.test {
		if sp.block && !n.hasBk {
			return errAt(n.pos, "%s needs a block", n.name)
		}
		if !sp.block && n.hasBk {
			return errAt(n.pos, "%s takes no block", n.name)
		}
	}
	if n.name == "size" && !n.c.has("over") && !n.c.has("under") {
		return errAt(n.pos, "size needs :over or :under")
	}
	if a, ok := n.c.tags["index"]; ok {
		n.c.idx = int(a.num)
		if a.num == 0 {
			return errAt(a.pos, ":index must be at least 1")
		}
		if n.c.has("last") {
			n.c.idx = -n.c.idx
		}
	} else if n.c.has("last") && n.name != "addheader" && n.name != "duplicate" {
		return errAt(n.pos, ":last needs :index")
	}
	n.c.addr = "all"
	for _, p := range []string{"localpart", "domain", "user", "detail"} {
		if n.c.has(p) {
			n.c.addr = p
		}
	}
	return nil
}

func (cp *compiler) matchOpts(n *node) error {
	c := n.c
	mo := matchOpts{typ: "is", cmp: "i;ascii-casemap"}
	for _, t := range []string{"contains", "matches", "regex", "value", "count"} {
		if a, ok := c.tags[t]; ok {
			mo.typ = t
			if t == "value" || t == "count" {
				mo.rel = strings.ToLower(a.strs[0])
				if !slices.Contains([]string{"gt", "ge", "lt", "le", "eq", "ne"}, mo.rel) {
					return errAt(a.pos, "unknown relational operator %q", a.strs[0])
				}
			}
		}
	}
	if a, ok := c.tags["comparator"]; ok {
		mo.cmp = strings.ToLower(a.strs[0])
		switch mo.cmp {
		case "i;octet", "i;ascii-casemap":
		case "i;ascii-numeric":
			if !cp.req["comparator-i;ascii-numeric"] {
				return errAt(a.pos, "comparator %q needs require \"comparator-i;ascii-numeric\"", mo.cmp)
			}
		default:
			return errAt(a.pos, "unknown comparator %q", a.strs[0])
		}
		// RFC 5228 §2.7.3: a comparator that cannot do the match type.
		if mo.cmp == "i;ascii-numeric" && (mo.typ == "contains" || mo.typ == "matches" || mo.typ == "regex") {
			return errAt(a.pos, "comparator i;ascii-numeric cannot do :%s", mo.typ)
		}
	}
	if mo.typ == "regex" {
		keys := c.args[len(c.args)-1]
		if !cp.vars {
			for _, k := range keys.strs {
				re, err := compileRegex(k, mo.cmp)
				if err != nil {
					return errAt(keys.pos, "bad regular expression %q", k)
				}
				mo.res = append(mo.res, re)
			}
		}
	}
	c.mo = mo
	return nil
}

// compileRegex turns a POSIX extended expression (the regex draft) into
// Go's syntax; case is folded for i;ascii-casemap.
func compileRegex(p, cmp string) (*regexp.Regexp, error) {
	if cmp == "i;ascii-casemap" {
		p = "(?i)" + p
	}
	return regexp.Compile(p)
}
