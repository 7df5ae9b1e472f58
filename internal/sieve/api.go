package sieve

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Limits bound what one script may cost (README "Filters and vacation").
type Limits struct {
	MaxScriptSize int           // octets of source
	MaxSteps      int           // commands, tests and compared values per run
	MaxTime       time.Duration // wall time per run
	MaxActions    int           // actions a run may take
	MaxRedirects  int           // redirect actions a run may take
	MaxVarSize    int           // octets a variable may hold
	MaxIncludes   int           // include depth
}

// DefaultLimits are the limits used when a field is zero.
func DefaultLimits() Limits {
	return Limits{MaxScriptSize: 1 << 20, MaxSteps: 200000, MaxTime: 2 * time.Second,
		MaxActions: 64, MaxRedirects: 4, MaxVarSize: 4096, MaxIncludes: 5}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxScriptSize == 0 {
		l.MaxScriptSize = d.MaxScriptSize
	}
	if l.MaxSteps == 0 {
		l.MaxSteps = d.MaxSteps
	}
	if l.MaxTime == 0 {
		l.MaxTime = d.MaxTime
	}
	if l.MaxActions == 0 {
		l.MaxActions = d.MaxActions
	}
	if l.MaxRedirects == 0 {
		l.MaxRedirects = d.MaxRedirects
	}
	if l.MaxVarSize == 0 {
		l.MaxVarSize = d.MaxVarSize
	}
	if l.MaxIncludes == 0 {
		l.MaxIncludes = d.MaxIncludes
	}
	return l
}

// Script is a compiled script, safe for concurrent runs.
type Script struct {
	cmds []*node
	req  map[string]bool
	lim  Limits
}

// Compile parses and checks src. The error is an *Error with the line
// and column when the script is wrong.
func Compile(src []byte, lim Limits) (*Script, error) {
	lim = lim.withDefaults()
	if len(src) > lim.MaxScriptSize {
		return nil, &Error{Pos: Pos{1, 1}, Msg: "script too large"}
	}
	cmds, err := parse(string(src))
	if err != nil {
		return nil, err
	}
	req, err := compile(cmds)
	if err != nil {
		return nil, err
	}
	return &Script{cmds: cmds, req: req, lim: lim}, nil
}

// Cache keeps compiled scripts by the hash of their source, so each
// script is compiled once however many messages it filters.
type Cache struct {
	lim Limits
	max int
	mu  sync.Mutex
	m   map[[32]byte]*Script
}

// NewCache holds up to max compiled scripts (all dropped when full).
func NewCache(lim Limits, max int) *Cache {
	return &Cache{lim: lim, max: max, m: map[[32]byte]*Script{}}
}

// Get returns the compiled form of src, compiling it on first use.
func (c *Cache) Get(src []byte) (*Script, error) {
	k := sha256.Sum256(src)
	c.mu.Lock()
	s, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := Compile(src, c.lim)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = s
	c.mu.Unlock()
	return s, nil
}

// Envelope is the SMTP envelope of the delivery (RFC 5228 §5.4).
type Envelope struct {
	From string // reverse path, "" for the null sender
	To   string // the recipient being delivered to
	Auth string // the authenticated sender, if any
}

// Mailboxes answers mailboxexists (RFC 5490 §3).
type Mailboxes interface {
	MailboxExists(name string) bool
}

// Duplicates answers the duplicate test (RFC 7352): whether key was
// recorded within its period. Recording is the caller's, after delivery,
// from Result.Duplicates.
type Duplicates interface {
	Seen(key string) bool
}

// Includes loads the scripts include names (RFC 6609 §3.2).
type Includes interface {
	Include(name string, global bool) (*Script, error)
}

// Environment is everything a run reads besides the message. Nil
// interfaces make their tests false (mailboxexists, duplicate) or an
// include fail.
type Environment struct {
	Envelope Envelope
	Now      time.Time
	Zone     *time.Location    // local zone for date tests; UTC if nil
	Items    map[string]string // environment test items (RFC 5183 §4)
	// SpamScore is spamtest's value "0" (not tested) to "10"; SpamPercent
	// is spamtestplus's 0-100 (RFC 5235 §3).
	SpamScore, SpamPercent string
	Mailboxes              Mailboxes
	Duplicates             Duplicates
	Includes               Includes
	DefaultMailbox         string // "INBOX" if empty
}

// Kind names an action.
type Kind string

// The actions a run can take.
const (
	Keep     Kind = "keep"
	FileInto Kind = "fileinto"
	Redirect Kind = "redirect"
	Discard  Kind = "discard"
	Reject   Kind = "reject"
	Ereject  Kind = "ereject"
	Vacation Kind = "vacation"
)

// Action is one action of a run's result.
type Action struct {
	Kind     Kind
	Mailbox  string   // keep (the default mailbox) and fileinto
	Create   bool     // fileinto :create (RFC 5490 §3.2)
	Flags    []string // keep and fileinto (RFC 5232)
	Copy     bool     // redirect/fileinto :copy (RFC 3894)
	Address  string   // redirect
	Reason   string   // reject, ereject, vacation
	Vacation *VacationReply
	Implicit bool // the implicit keep
}

// VacationReply is what a vacation action asks the sender of replies to
// send (RFC 5230 §4); whether to send it (lists, null senders, the
// period per sender) is the sender's decision.
type VacationReply struct {
	Reason    string
	Subject   string // "" for the default
	From      string
	Addresses []string
	MIME      bool
	Handle    string
	Period    time.Duration
}

// Result is the outcome of a run.
type Result struct {
	Actions []Action
	// Header is the top-level header after editheader changes, nil when
	// the script changed nothing (RFC 5293).
	Header []Field
	// Duplicates are the keys the caller records once the message is
	// delivered, with their periods (RFC 7352 §3).
	Duplicates []DuplicateMark
	// Err is a runtime error; Actions is then the implicit keep alone
	// (RFC 5228 §2.10.6).
	Err error
}

// DuplicateMark is a duplicate test's key and tracking period.
type DuplicateMark struct {
	Key    string
	Period time.Duration
}

// EnvironmentItems are the standard items of the environment test for a
// delivery (RFC 5183 §4): Petrel filters as the MDA, during delivery.
func EnvironmentItems(domain, host, remoteHost, remoteIP, version string) map[string]string {
	return map[string]string{
		"domain": domain, "host": host, "location": "MDA", "name": "Petrel",
		"phase": "during", "remote-host": remoteHost, "remote-ip": remoteIP, "version": version,
	}
}
