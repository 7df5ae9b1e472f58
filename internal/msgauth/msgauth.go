package msgauth

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"

	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dmarc"
	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/spfcheck"
)

// Resolver is the DNS the checks need; dnsr.Resolver satisfies it.
// Errors are classified with dnsr.IsNotFound and dnsr.IsTemporary.
type Resolver interface {
	LookupMX(ctx context.Context, domain string) ([]*net.MX, error)
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error)
}

// DMARC reject actions (Config.DMARCReject).
const (
	RejectRefuse     = "reject"     // 550 5.7.1 at the end of DATA
	RejectQuarantine = "quarantine" // deliver to Junk instead
)

// Config holds a Checker's settings and dependencies.
type Config struct {
	// AuthServID is the authserv-id of the Authentication-Results field
	// (RFC 8601 §2.5): the server's host name.
	AuthServID string
	// Resolver answers every DNS query of SPF, DKIM and DMARC.
	Resolver Resolver
	// MaxDKIMSignatures is how many signatures are verified per message
	// (RFC 6376 §6.1); the others are reported as "policy". Default 5.
	MaxDKIMSignatures int
	// DMARCReject is what a DMARC failure under p=reject gets:
	// RejectRefuse (also when empty) or RejectQuarantine.
	DMARCReject string
	// Sample is DMARC's pct= sampling source (internal/dmarc Config);
	// nil: random.
	Sample func() int
	// Prefetch starts the DMARC policy lookups of the From domains as
	// soon as the header is read, alongside SPF and DKIM, instead of
	// after them. Only for a resolver that caches answers and shares
	// in-flight queries (dnsr with its cache), which then answers
	// DMARC's own lookups from the query already under way: a message
	// waits for the slowest check rather than for their sum.
	Prefetch bool
}

// Checker authenticates inbound messages. It is safe for concurrent use.
type Checker struct {
	cfg   Config
	dmarc *dmarc.Evaluator
	log   *slog.Logger
}

// New returns a Checker.
func New(cfg Config, log *slog.Logger) *Checker {
	if cfg.MaxDKIMSignatures < 1 {
		cfg.MaxDKIMSignatures = dkim.DefaultMaxSignatures
	}
	if cfg.DMARCReject != RejectQuarantine {
		cfg.DMARCReject = RejectRefuse
	}
	ev := dmarc.New(dmarc.Config{Resolver: cfg.Resolver, Sample: cfg.Sample})
	return &Checker{cfg: cfg, dmarc: ev, log: log}
}

// Input is what the SMTP transaction says about a message.
type Input struct {
	ID       string     // the transaction's msg_id, for the log
	Conn     string     // the session's conn ID, for the log
	Listener string     // the listener the session came in on, for the log
	ClientIP netip.Addr // the connecting client
	Helo     string     // its EHLO/HELO argument
	MailFrom string     // the reverse-path without brackets; "" for <>
}

// Action is what to do with a message.
type Action int

const (
	Deliver  Action = iota // as usual
	Junk                   // into the recipients' Junk mailboxes
	Reject                 // refuse with Verdict.Reply (5xx)
	TempFail               // refuse for now with Verdict.Reply (4xx)
)

func (a Action) String() string {
	switch a {
	case Junk:
		return "junk"
	case Reject:
		return "reject"
	case TempFail:
		return "tempfail"
	}
	return "deliver"
}

// Verdict is the outcome of the checks on one message.
type Verdict struct {
	Action Action
	// Reply refuses the message for Reject and TempFail; nil otherwise.
	Reply *smtpreply.Reply
	// Header is the Authentication-Results field to prepend, folded and
	// CRLF-terminated.
	Header string
	// Remove holds the ranges of the message's own Authentication-Results
	// fields that claim AuthServID (RFC 8601 §5), in order; the message
	// must be stored without them.
	Remove []Range

	// The results behind the verdict.
	SPF, HELO spfcheck.Result
	DKIM      []dkim.Result
	DMARC     dmarc.Result
}

// Check authenticates the message read from msg (header and body, CRLF
// line ends, as received): SPF of both identities runs while the DKIM
// signatures are verified, then DMARC decides. DNS failures are results,
// never errors; the error is for reading msg. msg may be left partly
// unread.
func (c *Checker) Check(ctx context.Context, in Input, msg io.Reader) (Verdict, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var v Verdict
	spfDone := make(chan struct{})
	go func() {
		defer close(spfDone)
		v.SPF, v.HELO = spfcheck.Check(ctx, c.cfg.Resolver, in.ClientIP, in.Helo, in.MailFrom)
	}()
	br := bufio.NewReader(msg)
	raw, fields, err := readHeader(br)
	if errors.Is(err, header.ErrTooLarge) {
		// The From rule cannot see past the limit: refuse rather than
		// evaluate DMARC on part of the header (README "Limits").
		cancel()
		<-spfDone
		return Verdict{Action: Reject, Reply: smtpreply.HeaderTooLarge()}, nil
	}
	if err == nil && c.cfg.Prefetch {
		c.prefetchPolicies(ctx, fromDomains(raw, fields))
	}
	if err == nil {
		v.DKIM, err = dkim.VerifyRead(ctx, c.cfg.Resolver, raw, fields, br, c.cfg.MaxDKIMSignatures)
	}
	if err != nil {
		cancel()
		<-spfDone
		return Verdict{}, err
	}
	<-spfDone
	v.DMARC = c.dmarc.Evaluate(ctx, dmarc.Input{
		From: fromDomains(raw, fields),
		SPF:  dmarc.Identifier{Domain: v.SPF.Domain, Result: v.SPF.Result},
		DKIM: dkimIdentifiers(v.DKIM),
	})
	v.Action, v.Reply = c.decide(v.DMARC)
	v.Header = formatField(c.cfg.AuthServID, c.resinfos(in, &v))
	v.Remove = ownResults(fields, c.cfg.AuthServID)
	c.logVerdict(in, &v)
	return v, nil
}

// maxPrefetch bounds the From domains whose policies are looked up ahead.
const maxPrefetch = 4

// prefetchPolicies starts DMARC policy discovery for the distinct From
// domains in the background; the results are dropped (Evaluate looks
// them up again, from the resolver's cache or its in-flight query). The
// lookups end with ctx, at the latest when Check returns.
func (c *Checker) prefetchPolicies(ctx context.Context, domains []string) {
	seen := map[string]bool{}
	for _, d := range domains {
		if seen[d] || len(seen) == maxPrefetch {
			continue
		}
		seen[d] = true
		go dmarc.Discover(ctx, c.cfg.Resolver, d)
	}
}

func dkimIdentifiers(rs []dkim.Result) []dmarc.Identifier {
	out := make([]dmarc.Identifier, len(rs))
	for i, r := range rs {
		out[i] = dmarc.Identifier{Domain: r.Domain, Result: r.Status}
	}
	return out
}

// decide turns the DMARC outcome into an action (RFC 7489 §6.6.4): a
// failure is refused (p=reject; or quarantined when so configured) or
// quarantined (p=quarantine) as the applied policy says; a temperror is
// refused for now with the code of the check that failed. Everything
// else, SPF or DKIM failures without a DMARC policy among them, is
// delivered.
func (c *Checker) decide(d dmarc.Result) (Action, *smtpreply.Reply) {
	switch d.Result {
	case dmarc.Fail:
		switch {
		case d.Policy == dmarc.PolicyReject && c.cfg.DMARCReject == RejectQuarantine:
			return Junk, nil
		case d.Policy == dmarc.PolicyReject:
			return Reject, smtpreply.DMARCRejected(d.From)
		case d.Policy == dmarc.PolicyQuarantine:
			return Junk, nil
		}
	case dmarc.TempError:
		switch d.TempCause {
		case "spf":
			return TempFail, smtpreply.SPFTempError(d.From)
		case "dkim":
			return TempFail, smtpreply.DKIMTempError(d.From)
		}
		return TempFail, smtpreply.DMARCTempError(d.From)
	}
	return Deliver, nil
}

// logVerdict logs one line per message: the results and the action,
// never the message's content.
func (c *Checker) logVerdict(in Input, v *Verdict) {
	dk := make([]string, len(v.DKIM))
	for i, r := range v.DKIM {
		dk[i] = r.Status + ":" + r.Domain
	}
	c.log.Info("message authenticated", "msg_id", in.ID, "listener", in.Listener, "conn", in.Conn, "remote", netserve.Remote(in.ClientIP),
		"spf", v.SPF.Result, "spf_domain", v.SPF.Domain, "spf_helo", v.HELO.Result,
		"dkim", dk, "dmarc", v.DMARC.Result, "from_domain", v.DMARC.From,
		"policy", string(v.DMARC.Policy), "dmarc_reason", v.DMARC.Reason,
		"action", v.Action.String(), "removed_results", len(v.Remove))
}
