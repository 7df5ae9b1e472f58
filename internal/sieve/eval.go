package sieve

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RuntimeError is an error met while running a script; the message is
// then kept (RFC 5228 §2.10.6).
type RuntimeError struct {
	Pos Pos
	Msg string
}

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

var errStop = errors.New("stop")
var errReturn = errors.New("return")

type run struct {
	ctx      context.Context
	lim      Limits
	msg      Message
	env      *Environment
	fields   []Field
	edited   bool
	vars     map[string]string // local variables of the running script
	globals  map[string]string
	mvars    []string
	flags    []string // the internal flag variable (RFC 5232 §3)
	actions  []Action
	cancel   bool // implicit keep cancelled
	steps    int
	deadline time.Time
	vacation bool
	dups     []DuplicateMark
	included map[string]bool // scripts included so far, by location and name
	depth    int
	s        *Script
	part     int                 // the foreverypart part, -1 outside
	bodies   map[string][]string // body texts by transform, read once per run
}

// Run executes the script on msg. It never fails: a runtime error is in
// Result.Err and the result is then the implicit keep.
func (s *Script) Run(ctx context.Context, msg Message, env Environment) Result {
	res, _ := RunSequence(ctx, []*Script{s}, msg, env)
	return res
}

// RunSequence executes scripts one after another as one run on msg (the
// operator's before script, the user's, the operator's after script:
// README "Filters and vacation"): their actions add up, stop in any of
// them ends the whole sequence, and the implicit keep is decided once, at
// the end (RFC 5228 §2.10.2). Each script has its own variables and
// limits. A runtime error in any of them makes the result the implicit
// keep alone, with Err set and failed the index of the failing script
// (-1 when none failed).
func RunSequence(ctx context.Context, scripts []*Script, msg Message, env Environment) (res Result, failed int) {
	failed = -1
	defer func() {
		// A bug here must not lose the message either.
		if p := recover(); p != nil {
			res = Result{Actions: []Action{{Kind: Keep, Mailbox: orDefault(env.DefaultMailbox, "INBOX"), Implicit: true}},
				Err: fmt.Errorf("sieve: internal error: %v", p)}
		}
	}()
	if env.DefaultMailbox == "" {
		env.DefaultMailbox = "INBOX"
	}
	if env.Zone == nil {
		env.Zone = time.UTC
	}
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	r := &run{ctx: ctx, msg: msg, env: &env, fields: msg.Fields(), part: -1}
	for i, s := range scripts {
		failed = i
		r.s, r.lim, r.steps = s, s.lim, 0
		r.vars, r.globals, r.included = map[string]string{}, map[string]string{}, map[string]bool{}
		r.deadline = time.Now().Add(s.lim.MaxTime)
		err := r.exec(s.cmds)
		if err == errStop {
			break
		}
		if err != nil && err != errReturn {
			// return in a main script ends it (RFC 6609 §3.4); an error
			// keeps the message (RFC 5228 §2.10.6).
			return Result{Actions: []Action{{Kind: Keep, Mailbox: env.DefaultMailbox, Implicit: true}}, Err: err}, i
		}
	}
	res = Result{Actions: r.actions, Duplicates: r.dups}
	if !r.cancel {
		res.Actions = append(res.Actions, Action{Kind: Keep, Mailbox: env.DefaultMailbox, Flags: r.flags, Implicit: true})
	}
	if r.edited {
		res.Header = r.fields
	}
	return res, -1
}

func (r *run) fail(p Pos, format string, a ...any) error {
	return &RuntimeError{Pos: p, Msg: fmt.Sprintf(format, a...)}
}

// step counts work and checks the limits on steps and time.
func (r *run) step(p Pos, n int) error {
	r.steps += n
	if r.steps > r.lim.MaxSteps {
		return r.fail(p, "script took too many steps")
	}
	if r.steps&1023 < n || n > 1024 {
		if time.Now().After(r.deadline) {
			return r.fail(p, "script ran too long")
		}
		if r.ctx.Err() != nil {
			return r.fail(p, "run cancelled")
		}
	}
	return nil
}

func (r *run) exec(cmds []*node) error {
	for i := 0; i < len(cmds); i++ {
		n := cmds[i]
		if err := r.step(n.pos, 1); err != nil {
			return err
		}
		var err error
		switch n.name {
		case "require", "elsif", "else", "global":
			if n.name == "global" {
				for _, v := range n.c.args[0].strs {
					k := strings.ToLower(v)
					if _, ok := r.globals[k]; !ok {
						r.globals[k] = ""
					}
				}
			}
		case "if":
			err = r.ifChain(n)
		case "stop":
			return errStop
		case "return":
			return errReturn
		case "include":
			err = r.include(n)
		case "foreverypart":
			err = r.foreverypart(n)
		case "break":
			return &errBreak{name: n.c.str("name")}
		case "extracttext":
			err = r.extracttext(n)
		default:
			err = r.action(n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *run) ifChain(n *node) error {
	for cur := n; cur != nil; cur = cur.c.elseNext {
		ok := true
		if cur.name != "else" {
			var err error
			if ok, err = r.test(cur.tests[0]); err != nil {
				return err
			}
		}
		if ok {
			return r.exec(cur.block)
		}
	}
	return nil
}

// include runs another script with its own variables (RFC 6609 §3.2).
func (r *run) include(n *node) error {
	name := r.expand(n.c.args[0].strs[0])
	if r.env.Includes == nil {
		return r.fail(n.pos, "include is not available")
	}
	s, err := r.env.Includes.Include(name, n.c.has("global"))
	if err != nil || s == nil {
		if n.c.has("optional") {
			return nil
		}
		return r.fail(n.pos, "cannot include %q", name)
	}
	key := fmt.Sprint(n.c.has("global"), ":", name)
	if n.c.has("once") && r.included[key] {
		return nil
	}
	r.included[key] = true
	if r.depth >= r.lim.MaxIncludes {
		return r.fail(n.pos, "includes nested too deep")
	}
	saved, savedS := r.vars, r.s
	r.vars, r.s = map[string]string{}, s
	r.depth++
	err = r.exec(s.cmds)
	r.depth--
	r.vars, r.s = saved, savedS
	if err == errReturn {
		return nil
	}
	return err
}

func (r *run) test(n *node) (bool, error) {
	if err := r.step(n.pos, 1); err != nil {
		return false, err
	}
	switch n.name {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "not":
		ok, err := r.test(n.tests[0])
		return !ok, err
	case "allof", "anyof":
		want := n.name == "anyof"
		for _, t := range n.tests {
			ok, err := r.test(t)
			if err != nil || ok == want {
				return ok, err
			}
		}
		return !want, nil
	}
	if ok, done, err := r.messageTest(n); done {
		return ok, err
	}
	values, err := r.testValues(n)
	if err != nil {
		return false, err
	}
	keys := r.expandList(n.c.args[len(n.c.args)-1].strs)
	return r.match(n, values, keys)
}

// messageTest runs the tests that compare no keys; done is false for
// the others.
func (r *run) messageTest(n *node) (ok, done bool, err error) {
	switch n.name {
	case "exists":
		for _, h := range r.expandList(n.c.args[0].strs) {
			if n.c.has("mime") {
				if len(r.mimeHeaderValues(n.c, []string{h})) == 0 {
					return false, true, nil
				}
				continue
			}
			if len(r.headerValues(h, 0)) == 0 {
				return false, true, nil
			}
		}
		return true, true, nil
	case "size":
		lim := int64(n.c.args[0].num)
		if n.c.has("over") {
			return r.msg.Size() > lim, true, nil
		}
		return r.msg.Size() < lim, true, nil
	case "ihave":
		caps := capabilities()
		for _, c := range n.c.args[0].strs {
			if !contains(caps, c) {
				return false, true, nil
			}
		}
		return true, true, nil
	case "mailboxexists":
		if r.env.Mailboxes == nil {
			return false, true, nil
		}
		for _, m := range r.expandList(n.c.args[0].strs) {
			if !r.env.Mailboxes.MailboxExists(m) {
				return false, true, nil
			}
		}
		return true, true, nil
	case "duplicate":
		return r.duplicate(n), true, nil
	}
	return false, false, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// testValues returns the values a match test compares with its keys.
func (r *run) testValues(n *node) ([]string, error) {
	a := n.c.args
	switch n.name {
	case "header":
		if n.c.has("mime") {
			return r.mimeHeaderValues(n.c, r.expandList(a[0].strs)), nil
		}
		var out []string
		for _, h := range r.expandList(a[0].strs) {
			out = append(out, r.headerValues(h, n.c.idx)...)
		}
		return out, nil
	case "address", "envelope":
		return r.addressValues(n), nil
	case "string":
		return r.expandList(a[0].strs), nil
	case "hasflag":
		return r.flagValues(a[0]), nil
	case "body":
		return r.bodyValues(n), nil
	case "date", "currentdate":
		return r.dateValues(n)
	case "spamtest":
		if n.c.has("percent") {
			return []string{orDefault(r.env.SpamPercent, "0")}, nil
		}
		return []string{orDefault(r.env.SpamScore, "0")}, nil
	case "environment":
		v, ok := r.env.Items[strings.ToLower(r.expand(a[0].strs[0]))]
		if !ok {
			return nil, nil
		}
		return []string{v}, nil
	}
	return nil, r.fail(n.pos, "test %s not implemented", n.name)
}

// addressValues are the address parts an address or envelope test
// compares (RFC 5228 §§5.1, 5.4).
func (r *run) addressValues(n *node) []string {
	a := n.c.args
	switch n.name {
	case "address":
		var out []string
		if n.c.has("mime") {
			for _, v := range r.mimeHeaderValues(n.c, r.expandList(a[0].strs)) {
				out = append(out, addressParts(v, n.c.addr)...)
			}
			return out
		}
		for _, h := range r.expandList(a[0].strs) {
			for _, v := range r.rawHeaderValues(h, n.c.idx) {
				out = append(out, addressParts(v, n.c.addr)...)
			}
		}
		return out
	case "envelope":
		var out []string
		for _, p := range r.expandList(a[0].strs) {
			v, ok := r.envelopePart(strings.ToLower(p))
			if !ok {
				continue
			}
			if v == "" {
				// The null reverse path (RFC 5228 §5.4).
				if n.c.addr == "all" {
					out = append(out, "")
				}
				continue
			}
			out = append(out, addressParts(v, n.c.addr)...)
		}
		return out
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (r *run) envelopePart(p string) (string, bool) {
	switch p {
	case "from":
		return r.env.Envelope.From, true
	case "to":
		return r.env.Envelope.To, true
	case "auth":
		return r.env.Envelope.Auth, r.env.Envelope.Auth != ""
	}
	return "", false
}

// rawHeaderValues returns the values of header name; idx picks one
// (RFC 5260 §6: counted from 1, from the end when negative).
func (r *run) rawHeaderValues(name string, idx int) []string {
	var out []string
	for _, f := range r.fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return pickIndex(out, idx)
}

func pickIndex(vals []string, idx int) []string {
	switch {
	case idx == 0:
		return vals
	case idx > 0 && idx <= len(vals):
		return vals[idx-1 : idx]
	case idx < 0 && -idx <= len(vals):
		i := len(vals) + idx
		return vals[i : i+1]
	}
	return nil
}

// headerValues returns decoded values (RFC 2047 encoded words decoded,
// RFC 5228 §5.7), without leading and trailing white space.
func (r *run) headerValues(name string, idx int) []string {
	raw := r.rawHeaderValues(name, idx)
	out := make([]string, len(raw))
	for i, v := range raw {
		out[i] = decodeHeader(v)
	}
	return out
}

func (r *run) match(n *node, values, keys []string) (bool, error) {
	mo := n.c.mo
	if err := r.step(n.pos, len(values)*len(keys)); err != nil {
		return false, err
	}
	if mo.typ == "count" {
		c := 0
		for _, v := range values {
			if n.name != "string" || v != "" {
				c++
			}
		}
		cs := strconv.Itoa(c)
		for _, k := range keys {
			if relate(compare(cs, k, mo.cmp), mo.rel) {
				return true, nil
			}
		}
		return false, nil
	}
	for _, v := range values {
		for ki, k := range keys {
			ok, caps, err := r.matchOne(n, v, k, ki)
			if err != nil {
				return false, err
			}
			if ok {
				if caps != nil && r.s.req["variables"] {
					r.mvars = caps
				}
				return true, nil
			}
		}
	}
	return false, nil
}
