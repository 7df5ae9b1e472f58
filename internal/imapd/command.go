package imapd

import (
	"strings"

	"github.com/petrelmail/petrel/internal/imapmsg"
)

// command is one parsed command. Fields are set according to name.
type command struct {
	tag  string
	name string // upper case; for UID commands the subcommand
	uid  bool   // "UID FETCH", "UID SEARCH", ...

	mailbox  string // SELECT, CREATE, DELETE, STATUS, APPEND, COPY target, ...
	mailbox2 string // RENAME target
	user     string // LOGIN
	pass     string // LOGIN; never logged
	mech     string // AUTHENTICATE
	initial  *string
	atoms    []string // ENABLE capabilities, STATUS items, CREATE USE
	set      numSet   // FETCH, STORE, COPY, MOVE, UID EXPUNGE
	id       []string // ID parameters, key value ...; nil for NIL

	sel    *selectArgs
	list   *listArgs
	fetch  *fetchArgs
	store  *storeArgs
	search *searchArgs
	append []*appendMsg
}

// selectArgs are SELECT/EXAMINE parameters (RFC 7162 §3.1.8, §3.2.5).
type selectArgs struct {
	condstore bool
	qresync   *qresyncArgs
}

type qresyncArgs struct {
	uidValidity uint32
	modSeq      uint64
	knownUIDs   *numSet
	seqMatch    *numSet // known sequence numbers
	uidMatch    *numSet // their UIDs
}

// listArgs are LIST / LSUB arguments with RFC 5258 options.
type listArgs struct {
	ref      string
	patterns []string
	// selection options
	subscribed, recursive, specialUse, remote bool
	// return options
	retSubscribed, retChildren, retSpecialUse bool
	retStatus                                 []string
	extended                                  bool // any option given or several patterns
	lsub                                      bool
}

// fetchItem is one FETCH data item.
type fetchItem struct {
	name    string // FLAGS, UID, ENVELOPE, BODY[], BINARY[], BINARY.SIZE, ...
	section imapmsg.Section
	peek    bool
}

type fetchArgs struct {
	items        []fetchItem
	changedSince uint64
	vanished     bool
}

type storeArgs struct {
	op             string // "", "+", "-"
	silent         bool
	flags          []string
	unchangedSince uint64
	hasUnchanged   bool
}

type searchArgs struct {
	charset string
	esearch bool     // RETURN given
	ret     []string // MIN MAX ALL COUNT SAVE (upper case)
	key     imapmsg.SearchKey
	// seqSets: the key uses sequence numbers, or $ (affects EXPUNGE rules)
}

// appendMsg is one message of APPEND / MULTIAPPEND.
type appendMsg struct {
	flags []string
	date  string // date-time as sent, "" for none
	body  *spooled
	utf8  bool
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
		switch c.name {
		case "FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE":
		default:
			return c, errSyntax("Unknown UID command")
		}
	}
	p := argParserFor(c.name)
	if p == nil {
		return c, errUnknownCommand
	}
	if err := p(s, r, c); err != nil {
		return c, err
	}
	return c, r.end()
}

var errUnknownCommand = errSyntax("Unknown command")

type argParser func(s *session, r *reader, c *command) error

// argParserFor returns the argument parser of a command, nil when the
// command is unknown.
func argParserFor(name string) argParser {
	switch name {
	case "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "NAMESPACE", "IDLE", "CHECK", "CLOSE", "UNSELECT":
		return noArgs
	case "EXPUNGE":
		return parseExpunge
	case "LOGIN":
		return parseLogin
	case "AUTHENTICATE":
		return parseAuthenticate
	case "ENABLE":
		return parseEnable
	case "ID":
		return parseID
	case "SELECT", "EXAMINE":
		return parseSelect
	case "CREATE":
		return parseCreate
	case "DELETE", "SUBSCRIBE", "UNSUBSCRIBE", "GETQUOTAROOT", "GETQUOTA":
		return oneMailbox
	case "RENAME":
		return parseRename
	case "STATUS":
		return parseStatus
	case "LIST", "LSUB":
		return parseList
	case "APPEND":
		return parseAppend
	case "FETCH":
		return parseFetch
	case "STORE":
		return parseStore
	case "SEARCH":
		return parseSearch
	case "COPY", "MOVE":
		return parseCopy
	}
	return nil
}

func noArgs(_ *session, _ *reader, _ *command) error { return nil }

func parseExpunge(_ *session, r *reader, c *command) error {
	if !c.uid {
		return nil
	}
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	c.set, err = r.numSet()
	return err
}

func parseLogin(_ *session, r *reader, c *command) error {
	var err error
	if err = r.sp(); err == nil {
		if c.user, err = r.astring(); err == nil {
			if err = r.sp(); err == nil {
				c.pass, err = r.astring()
			}
		}
	}
	return err
}

func parseAuthenticate(_ *session, r *reader, c *command) error {
	if err := r.sp(); err != nil {
		return err
	}
	mech, err := r.atom()
	if err != nil {
		return err
	}
	c.mech = strings.ToUpper(mech)
	if r.peek() == ' ' {
		r.pos++
		ir := r.atomWith(func(b byte) bool { return isBase64Char(b) || b == '=' })
		if ir == "" {
			return errSyntax("Expected an initial response")
		}
		c.initial = &ir
	}
	return nil
}

func isBase64Char(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/'
}

func parseEnable(_ *session, r *reader, c *command) error {
	for r.peek() == ' ' {
		r.pos++
		a, err := r.atom()
		if err != nil {
			return err
		}
		c.atoms = append(c.atoms, strings.ToUpper(a))
	}
	if len(c.atoms) == 0 {
		return errSyntax("ENABLE needs a capability")
	}
	return nil
}

// parseID reads "NIL" or a list of string pairs (RFC 2971 §3.1).
func parseID(_ *session, r *reader, c *command) error {
	if err := r.sp(); err != nil {
		return err
	}
	if r.peek() != '(' {
		a, err := r.atom()
		if err != nil || !isNIL(a) {
			return errSyntax("Expected NIL or a parameter list")
		}
		return nil
	}
	c.id = []string{}
	return r.list(func() error {
		k, err := r.str()
		if err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
		v, err := r.nstring()
		c.id = append(c.id, k, v)
		return err
	})
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

func oneMailbox(_ *session, r *reader, c *command) error {
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	c.mailbox, err = r.astring()
	return err
}

func parseRename(s *session, r *reader, c *command) error {
	if err := oneMailbox(s, r, c); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	c.mailbox2, err = r.astring()
	return err
}

// parseCreate reads CREATE mailbox [(USE (\attr ...))] (RFC 6154 §3).
func parseCreate(s *session, r *reader, c *command) error {
	if err := oneMailbox(s, r, c); err != nil {
		return err
	}
	if r.peek() != ' ' {
		return nil
	}
	r.pos++
	return r.list(func() error {
		a, err := r.atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(a, "USE") {
			return errSyntax("Unknown CREATE parameter")
		}
		if err := r.sp(); err != nil {
			return err
		}
		return r.list(func() error {
			f, err := r.flag()
			c.atoms = append(c.atoms, f)
			return err
		})
	})
}

func parseStatus(s *session, r *reader, c *command) error {
	if err := oneMailbox(s, r, c); err != nil {
		return err
	}
	if err := r.sp(); err != nil {
		return err
	}
	items, err := r.statusItems()
	c.atoms = items
	return err
}

// statusItems reads "(" status-att *(SP status-att) ")".
func (r *reader) statusItems() ([]string, error) {
	items := []string{}
	err := r.list(func() error {
		a, err := r.atom()
		if err != nil {
			return err
		}
		a = strings.ToUpper(a)
		if !validStatusItem(a) {
			return errSyntax("Unknown STATUS item")
		}
		items = append(items, a)
		return nil
	})
	if err == nil && len(items) == 0 {
		err = errSyntax("STATUS needs items")
	}
	return items, err
}

func validStatusItem(a string) bool {
	switch a {
	case "MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ", "APPENDLIMIT":
		return true
	}
	return false
}

func parseCopy(_ *session, r *reader, c *command) error {
	if err := r.setArg(c); err != nil {
		return err
	}
	var err error
	c.mailbox, err = r.astring()
	return err
}

// setArg reads SP sequence-set SP, the start of FETCH, STORE, COPY and
// MOVE.
func (r *reader) setArg(c *command) error {
	if err := r.sp(); err != nil {
		return err
	}
	var err error
	if c.set, err = r.numSet(); err != nil {
		return err
	}
	return r.sp()
}
