package sieve

// argKind tells what an argument is (RFC 5228 §2.6).
type argKind int

const (
	aTag argKind = iota
	aNumber
	aStrings // a string or a string list
)

type arg struct {
	kind argKind
	pos  Pos
	tag  string
	num  uint64
	strs []string
	list bool // written with brackets
}

// node is one command or test of the parsed script.
type node struct {
	name  string
	pos   Pos
	args  []arg
	tests []*node // the test or test list
	block []*node
	hasBk bool

	// Filled by compile.
	c *cnode
}

// maxDepth bounds nesting of blocks and tests so a hostile script cannot
// exhaust the stack.
const maxDepth = 64

type parser struct {
	lx    *lexer
	tok   token
	depth int
}

// parse reads a whole script into its command list (RFC 5228 §8.2).
func parse(src string) ([]*node, error) {
	p := &parser{lx: newLexer(src)}
	if err := p.adv(); err != nil {
		return nil, err
	}
	cmds, err := p.commands()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("a command")
	}
	return cmds, nil
}

func (p *parser) adv() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) is(punct string) bool { return p.tok.kind == tPunct && p.tok.text == punct }

func (p *parser) unexpected(want string) error {
	got := p.tok.text
	switch p.tok.kind {
	case tEOF:
		got = "end of script"
	case tString:
		got = "a string"
	case tNumber:
		got = "a number"
	case tTag:
		got = ":" + got
	case tPunct:
		got = "'" + got + "'"
	}
	return &Error{Pos: p.tok.pos, Msg: "expected " + want + ", found " + got}
}

func (p *parser) commands() ([]*node, error) {
	var out []*node
	for p.tok.kind == tIdent {
		c, err := p.command()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return &Error{Pos: p.tok.pos, Msg: "nesting too deep"}
	}
	return nil
}

func (p *parser) command() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &node{name: p.tok.text, pos: p.tok.pos}
	if err := p.adv(); err != nil {
		return nil, err
	}
	if err := p.arguments(n); err != nil {
		return nil, err
	}
	switch {
	case p.is(";"):
		return n, p.adv()
	case p.is("{"):
		if err := p.adv(); err != nil {
			return nil, err
		}
		blk, err := p.commands()
		if err != nil {
			return nil, err
		}
		if !p.is("}") {
			return nil, p.unexpected("'}' or a command")
		}
		n.block, n.hasBk = blk, true
		return n, p.adv()
	}
	return nil, p.unexpected("';' or '{'")
}

// arguments reads *argument [test / test-list].
func (p *parser) arguments(n *node) error {
	for {
		switch {
		case p.tok.kind == tTag:
			n.args = append(n.args, arg{kind: aTag, pos: p.tok.pos, tag: p.tok.text})
		case p.tok.kind == tNumber:
			n.args = append(n.args, arg{kind: aNumber, pos: p.tok.pos, num: p.tok.num})
		case p.tok.kind == tString:
			n.args = append(n.args, arg{kind: aStrings, pos: p.tok.pos, strs: []string{p.tok.text}})
		case p.is("["):
			a, err := p.stringList()
			if err != nil {
				return err
			}
			n.args = append(n.args, a)
			continue
		case p.tok.kind == tIdent:
			t, err := p.test()
			if err != nil {
				return err
			}
			n.tests = []*node{t}
			return nil
		case p.is("("):
			ts, err := p.testList()
			if err != nil {
				return err
			}
			n.tests = ts
			return nil
		default:
			return nil
		}
		if err := p.adv(); err != nil {
			return err
		}
	}
}

func (p *parser) stringList() (arg, error) {
	a := arg{kind: aStrings, pos: p.tok.pos, list: true}
	for {
		if err := p.adv(); err != nil {
			return a, err
		}
		if p.tok.kind != tString {
			return a, p.unexpected("a string")
		}
		a.strs = append(a.strs, p.tok.text)
		if err := p.adv(); err != nil {
			return a, err
		}
		if p.is("]") {
			return a, p.adv()
		}
		if !p.is(",") {
			return a, p.unexpected("',' or ']'")
		}
	}
}

func (p *parser) test() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.tok.kind != tIdent {
		return nil, p.unexpected("a test")
	}
	n := &node{name: p.tok.text, pos: p.tok.pos}
	if err := p.adv(); err != nil {
		return nil, err
	}
	return n, p.arguments(n)
}

func (p *parser) testList() ([]*node, error) {
	var out []*node
	for {
		if err := p.adv(); err != nil {
			return nil, err
		}
		t, err := p.test()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		if p.is(")") {
			return out, p.adv()
		}
		if !p.is(",") {
			return nil, p.unexpected("',' or ')'")
		}
	}
}
