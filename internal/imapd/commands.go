package imapd

import (
	"strings"
)

// A command lives in one file, cmd_<name>.go (or its family's): its
// arguments type, its parser and its handler. The table below registers
// it; nothing else names it. Adding a command is that file and one line
// of the table (docs/architecture.md, "imapd").

// states is a set of session states a command may run in.
type states int

const (
	inNotAuth  states = 1 << stateNotAuth
	inAuth     states = 1 << stateAuth
	inSelected states = 1 << stateSelected
	inAny             = inNotAuth | inAuth | inSelected
	inAuthed          = inAuth | inSelected
)

// cmdFlags are the properties of a command besides its states.
type cmdFlags int

const (
	// uidForm: the command has a UID form, "UID <name>" (RFC 9051
	// §6.4.9).
	uidForm cmdFlags = 1 << iota
	// bySequence: by sequence number (not its UID form), no EXPUNGE
	// response may follow it (RFC 9051 §7.5.1): FETCH, STORE, SEARCH.
	bySequence
)

// cmdSpec is one command of the table.
type cmdSpec struct {
	states states
	flags  cmdFlags
	// parse reads the arguments after the command name, the leading SP
	// included, into c.args; nil: the command takes none.
	parse func(s *session, r *reader, c *command) error
	// handle runs the command and returns its tagged status ("" kind:
	// the handler answered itself).
	handle func(s *session, c *command) status
}

func (sp cmdSpec) with(f cmdFlags) cmdSpec {
	sp.flags |= f
	return sp
}

// bare is a command without arguments.
func bare(in states, handle func(*session, *command) status) cmdSpec {
	return cmdSpec{states: in, handle: handle}
}

// withArgs is a command whose parser fills an A that its handler gets.
func withArgs[A any](in states, parse func(*session, *reader, *command, *A) error,
	handle func(*session, *command, *A) status) cmdSpec {
	return cmdSpec{
		states: in,
		parse: func(s *session, r *reader, c *command) error {
			a := new(A)
			c.args = a
			return parse(s, r, c, a)
		},
		handle: func(s *session, c *command) status { return handle(s, c, c.args.(*A)) },
	}
}

// commands is the command table, built once and never written to.
var commands = commandTable()

// commandTable lists every command by name (RFC 9051 §6 and the
// extensions of doc.go), in the order of RFC 9051 §6.
func commandTable() map[string]cmdSpec {
	return map[string]cmdSpec{
		// Any state (RFC 9051 §6.1; RFC 2971 ID).
		"CAPABILITY": bare(inAny, (*session).cmdCapability),
		"NOOP":       bare(inAny, (*session).cmdNoop),
		"CHECK":      bare(inAny, (*session).cmdNoop), // RFC 3501 §6.4.1; a NOOP here
		"LOGOUT":     bare(inAny, (*session).cmdLogout),
		"ID":         withArgs(inAny, parseID, (*session).cmdID),
		// Not authenticated (§6.2).
		"STARTTLS":     bare(inNotAuth, (*session).cmdStartTLS),
		"LOGIN":        withArgs(inNotAuth, parseLogin, (*session).cmdLogin),
		"AUTHENTICATE": withArgs(inNotAuth, parseAuthenticate, (*session).cmdAuthenticate),
		// Authenticated (§6.3; RFC 2342 NAMESPACE, RFC 9208 QUOTA).
		"ENABLE":       withArgs(inAuthed, parseEnable, (*session).cmdEnable),
		"SELECT":       withArgs(inAuthed, parseSelect, (*session).cmdSelect),
		"EXAMINE":      withArgs(inAuthed, parseSelect, (*session).cmdSelect),
		"CREATE":       withArgs(inAuthed, parseCreate, (*session).cmdCreate),
		"DELETE":       withArgs(inAuthed, parseMailboxArg, (*session).cmdDelete),
		"RENAME":       withArgs(inAuthed, parseRename, (*session).cmdRename),
		"SUBSCRIBE":    withArgs(inAuthed, parseMailboxArg, (*session).cmdSubscribe),
		"UNSUBSCRIBE":  withArgs(inAuthed, parseMailboxArg, (*session).cmdSubscribe),
		"LIST":         withArgs(inAuthed, parseList, (*session).cmdList),
		"LSUB":         withArgs(inAuthed, parseList, (*session).cmdList),
		"NAMESPACE":    bare(inAuthed, (*session).cmdNamespace),
		"STATUS":       withArgs(inAuthed, parseStatus, (*session).cmdStatus),
		"APPEND":       withArgs(inAuthed, parseAppend, (*session).cmdAppend),
		"IDLE":         bare(inAuthed, (*session).cmdIdle),
		"GETQUOTA":     withArgs(inAuthed, parseMailboxArg, (*session).cmdGetQuota),
		"GETQUOTAROOT": withArgs(inAuthed, parseMailboxArg, (*session).cmdGetQuotaRoot),
		// RFC 5464 METADATA.
		"GETMETADATA": withArgs(inAuthed, parseGetMetadata, (*session).cmdGetMetadata),
		"SETMETADATA": withArgs(inAuthed, parseSetMetadata, (*session).cmdSetMetadata),
		// RFC 4314 ACL (acl_cmd.go).
		"SETACL":     withArgs(inAuthed, parseSetACL, (*session).cmdSetACL),
		"DELETEACL":  withArgs(inAuthed, parseACLIdentifier, (*session).cmdSetACL),
		"GETACL":     withArgs(inAuthed, parseACLMailbox, (*session).cmdGetACL),
		"LISTRIGHTS": withArgs(inAuthed, parseACLIdentifier, (*session).cmdListRights),
		"MYRIGHTS":   withArgs(inAuthed, parseACLMailbox, (*session).cmdMyRights),
		// RFC 4978 COMPRESS, RFC 5465 NOTIFY.
		"COMPRESS": withArgs(inAuthed, parseCompress, (*session).cmdCompress),
		"NOTIFY":   withArgs(inAuthed, parseNotify, (*session).cmdNotify),
		// Selected (§6.4; RFC 3691 UNSELECT, RFC 6851 MOVE).
		"CLOSE":    bare(inSelected, (*session).cmdClose),
		"UNSELECT": bare(inSelected, (*session).cmdUnselect),
		"EXPUNGE":  withArgs(inSelected, parseExpunge, (*session).cmdExpunge).with(uidForm),
		"SEARCH":   withArgs(inSelected, parseSearch, (*session).cmdSearch).with(uidForm | bySequence),
		"FETCH":    withArgs(inSelected, parseFetch, (*session).cmdFetch).with(uidForm | bySequence),
		"STORE":    withArgs(inSelected, parseStore, (*session).cmdStore).with(uidForm | bySequence),
		"COPY":     withArgs(inSelected, parseCopy, (*session).cmdCopy).with(uidForm),
		"MOVE":     withArgs(inSelected, parseCopy, (*session).cmdCopy).with(uidForm),
		// RFC 8508 REPLACE.
		"REPLACE": withArgs(inSelected, parseReplace, (*session).cmdReplace).with(uidForm),
		// RFC 5256 SORT and THREAD (cmd_sort.go).
		"SORT":   withArgs(inSelected, parseSort, (*session).cmdSort).with(uidForm | bySequence),
		"THREAD": withArgs(inSelected, parseThread, (*session).cmdThread).with(uidForm | bySequence),
		// RFC 5267 §4 CONTEXT=SEARCH, CONTEXT=SORT (context.go).
		"CANCELUPDATE": withArgs(inSelected, parseCancelUpdate, (*session).cmdCancelUpdate),
	}
}

// command is one parsed command.
type command struct {
	tag  string
	name string // upper case; for UID commands the subcommand
	uid  bool   // "UID FETCH", "UID SEARCH", ...
	spec cmdSpec
	args any // the *A of withArgs; nil for bare commands
}

// release frees what the command's arguments hold (the spooled APPEND
// bodies).
func (c *command) release() {
	if c == nil {
		return
	}
	if a, ok := c.args.(interface{ release() }); ok {
		a.release()
	}
}

// parseCommand reads one command. On a syntax error it returns the tag
// (when it got that far) and the error; the caller answers BAD and calls
// skipCommand.
func (s *session) parseCommand(r *reader) (*command, error) {
	r.newCommand()
	if err := r.readLine(); err != nil {
		if err == errLineTooLong {
			return &command{tag: r.headTag()}, err
		}
		return nil, err
	}
	c := &command{}
	tag := r.atomWith(func(b byte) bool { return isAtomChar(b, false) && b != '+' })
	if tag == "" {
		return c, errSyntax("Missing tag")
	}
	c.tag = tag
	if err := r.sp(); err != nil {
		return c, err
	}
	name, err := r.atom()
	if err != nil {
		return c, errSyntax("Missing command")
	}
	c.name = strings.ToUpper(name)
	if c.name == "UID" {
		c.uid = true
		if err := r.sp(); err != nil {
			return c, err
		}
		if name, err = r.atom(); err != nil {
			return c, err
		}
		c.name = strings.ToUpper(name)
		if commands[c.name].flags&uidForm == 0 {
			return c, errSyntax("Unknown UID command")
		}
	}
	spec, ok := commands[c.name]
	if !ok {
		return c, errUnknownCommand
	}
	c.spec = spec
	if spec.states&(1<<s.state) == 0 {
		// Before the arguments: a command refused in this state must not
		// invite its literals (an APPEND before login would be spooled);
		// skipCommand discards what the client sends anyway.
		return c, errNotAllowed
	}
	if spec.parse != nil {
		if err := spec.parse(s, r, c); err != nil {
			return c, err
		}
	}
	return c, r.end()
}

const notAllowedText = "Command not allowed in this state"

var (
	errUnknownCommand = errSyntax("Unknown command")
	errNotAllowed     = errSyntax(notAllowedText)
)

// execute checks the state and runs the command, then sends the pending
// mailbox updates allowed after it (RFC 9051 §7.5).
func (s *session) execute(c *command) status {
	if c.spec.states&(1<<s.state) == 0 { // checked by parseCommand too
		return respBAD(notAllowedText)
	}
	if st, refused := s.refuseSeqNums(c); refused {
		return st
	}
	if st, refused := s.refuseRevoked(c); refused { // acl.go
		return st
	}
	if s.v == nil {
		s.drainFeed() // nothing selected: the account's changes concern no view
	}
	st := c.spec.handle(s, c)
	if s.state == stateSelected && s.v != nil && st.kind != "BAD" {
		if !s.updates(expungeAllowed(c)) {
			return st
		}
	}
	if st.kind != "BAD" && s.notify != nil {
		if s.v == nil {
			s.drainFeed()
		}
		s.notifyUpdates() // RFC 5465: after a command too
	}
	return st
}

// expungeAllowed: no EXPUNGE during FETCH, STORE and SEARCH by sequence
// number (RFC 9051 §7.5.1); the UID forms may have them.
func expungeAllowed(c *command) bool {
	return c.spec.flags&bySequence == 0 || c.uid
}

// Argument readers shared by several commands.

// mailboxArg is the argument of the commands that take one mailbox name.
type mailboxArg struct{ mailbox string }

func parseMailboxArg(_ *session, r *reader, _ *command, a *mailboxArg) error {
	return r.mailboxArg(&a.mailbox)
}

// mailboxArg reads SP mailbox into *name.
func (r *reader) mailboxArg(name *string) error {
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	*name, err = r.astring()
	return err
}

// setArg reads SP sequence-set SP, the start of FETCH, STORE, COPY and
// MOVE.
func (r *reader) setArg(set *numSet) error {
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	if *set, err = r.numSet(); err != nil {
		return err
	}
	return r.sp()
}

// optionalList reads [SP "(" item *(SP item) ")"], the optional
// parameters after a command's arguments.
func (r *reader) optionalList(item func() error) error {
	if r.peek() != ' ' {
		return nil
	}
	r.pos++
	return r.list(item)
}

// nstring reads a string or NIL (returned as "").
func (r *reader) nstring() (string, error) {
	if r.peek() == 'N' || r.peek() == 'n' {
		a, err := r.atom()
		if err != nil || !isNIL(a) {
			return "", errSyntax("Expected NIL or a string")
		}
		return "", nil
	}
	return r.str()
}
