package delivery

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/srs"
	"github.com/petrelmail/petrel/internal/store"
)

// Resolver finds where mail for an address goes (package accounts).
type Resolver interface {
	Resolve(ctx context.Context, address string) (accounts.Resolution, error)
	Domains(ctx context.Context) ([]string, error)
	// IsLocalDomain tells our domains from others (forward.go).
	IsLocalDomain(ctx context.Context, domain string) (bool, error)
	// MaySendAs decides the submission sender rule (RFC 6409 §6.1).
	MaySendAs(ctx context.Context, account, address string) (bool, error)
	// Postmaster is the address that gets the mail of the role
	// addresses (postmaster, abuse) of a domain without its own, given
	// delivery.postmaster (configured).
	Postmaster(ctx context.Context, configured string) (string, error)
}

// Store is what delivery needs of the mail store.
type Store interface {
	Deliver(ctx context.Context, msg store.NewMessage, targets []store.Target) ([]store.Delivered, error)
	Quota(ctx context.Context, account store.AccountID) (store.Quota, error)
	// QuotaLimits tells an unlimited account, whose usage need not be
	// read at RCPT (checkQuota).
	QuotaLimits(ctx context.Context, id store.AccountID) (maxBytes, maxMessages int64, err error)
	// Mailboxes finds an account's Junk mailbox (inbound.go).
	Mailboxes(ctx context.Context, account store.AccountID) ([]store.Mailbox, error)
	// Account names the Bayes user of a scan (filter.go).
	Account(ctx context.Context, id store.AccountID) (store.Account, error)
}

// Config configures a Service.
type Config struct {
	Hostname string // the by-domain of Received headers and Message-IDs
	// Queue takes the recipients in other domains: those of submitted
	// mail, and remote alias targets (forwarding). nil refuses them: 451
	// 4.3.0 to a submission client or a forwarding alias, 554 5.7.1
	// (relay denied) to anyone else.
	Queue Queue
	// Signer signs submitted mail with DKIM (sign.go); nil sends it
	// unsigned.
	Signer Signer
	// Checker authenticates mail on the MX (inbound.go); nil checks
	// nothing.
	Checker Checker
	// Screener greylists mail on the MX and reports connection screening
	// in a field (screen.go); nil does neither.
	Screener Screener
	// Policies decide, in order, what becomes of each local copy
	// (policy.go): QuarantineJunk files a DMARC quarantine in Junk. nil
	// keeps every copy in INBOX.
	Policies []Policy
	// Filter scans mail on the MX (filter.go: rspamd); nil scans nothing.
	// FilterSubmission has it scan submitted mail too.
	Filter           Filter
	FilterSubmission bool
	// SendLimit bounds what authenticated accounts send (sendlimit.go);
	// nil sets no bound.
	SendLimit SendLimiter
	// Postmaster is the local address that gets the mail for postmaster
	// of a local domain without a postmaster address of its own, and for
	// the bare <postmaster> (config delivery.postmaster); "" tries the
	// postmaster of the other domains, then the oldest account.
	Postmaster string
	// SRS rewrites the reverse path of forwarded copies and decodes the
	// SRS addresses of bounces (forward.go); nil forwards with the
	// original sender and knows no SRS address. SRSDomain is the domain
	// of the SRS senders ("" = the forwarding address's domain).
	SRS       SRS
	SRSDomain string
}

// Service is the delivery path.
type Service struct {
	cfg Config
	res Resolver
	st  Store
	log *slog.Logger
}

// New returns a delivery service.
func New(cfg Config, res Resolver, st Store, log *slog.Logger) *Service {
	return &Service{cfg: cfg, res: res, st: st, log: log}
}

// route finds where mail for one recipient goes, or the reply refusing
// it. RFC 5321 §4.5.1: postmaster must be accepted for every local domain
// and for the server's own name, and RFC 2142 §2 asks the same of abuse,
// so such an address without an account or alias of its own falls back
// (postmaster). Only an address that is not there falls back: a loop in
// its alias is a loop, a store failure a temporary failure.
func (s *Service) route(ctx context.Context, env *envelope.Envelope, rcpt envelope.Recipient) (route, *smtpreply.Reply) {
	addr := rcpt.Addr.String()
	if s.cfg.SRS != nil && srs.IsSRS(rcpt.Addr.Local) {
		if rt, reply, ok := s.reverseSRS(ctx, env, rcpt); ok {
			return rt, reply
		}
	}
	r, err := s.res.Resolve(ctx, addr)
	if store.IsKind(err, store.KindNotFound) && accounts.IsRole(rcpt.Addr.Local) {
		r, err = s.postmaster(ctx, rcpt.Addr, err)
	}
	switch {
	case err == nil:
	case errors.Is(err, accounts.ErrNotLocal):
		return s.relay(env, rcpt)
	case errors.Is(err, accounts.ErrAliasLoop):
		return route{}, smtpreply.RoutingLoop(addr)
	case store.IsKind(err, store.KindNotFound), store.IsKind(err, store.KindInvalid):
		return route{}, smtpreply.NoSuchUser(addr)
	default:
		return route{}, s.localError("resolve recipient", err)
	}
	if len(r.Remote) > 0 && s.cfg.Queue == nil {
		// Without the outbound queue forwarding cannot be honoured: a
		// temporary refusal keeps the message with the sender.
		return route{}, smtpreply.ForwardingUnavailable(addr)
	}
	rt := route{local: r.Local}
	if len(r.Remote) > 0 {
		rt.fwd = &forwarding{via: addr, domain: s.srsDomain(rcpt.Addr.Domain)}
	}
	for _, t := range r.Remote {
		f, err := forwarded(rcpt, t)
		if err != nil {
			return route{}, s.localError("parse alias target", err)
		}
		rt.remote = append(rt.remote, f)
	}
	return rt, nil
}

// postmaster finds where mail for postmaster@ or abuse@ one of our
// domains (or the host name, which the bare <postmaster> becomes) goes
// when that address does not exist (notFound is the error saying so):
// abuse@D to postmaster@D when that exists, else both to
// Resolver.Postmaster's mailbox (README "SMTP": postmaster; only local
// mailboxes qualify). Any other error is returned as it is.
func (s *Service) postmaster(ctx context.Context, rcpt mailaddr.Address, notFound error) (accounts.Resolution, error) {
	domains, err := s.res.Domains(ctx)
	if err != nil {
		return accounts.Resolution{}, err
	}
	own := strings.EqualFold(rcpt.Domain, s.cfg.Hostname)
	for _, d := range domains {
		own = own || strings.EqualFold(d, rcpt.Domain)
	}
	if !own {
		return accounts.Resolution{}, notFound
	}
	if !strings.EqualFold(rcpt.Local, "postmaster") {
		r, err := s.res.Resolve(ctx, "postmaster@"+rcpt.Domain)
		if !store.IsKind(err, store.KindNotFound) {
			return r, err
		}
	}
	addr, err := s.res.Postmaster(ctx, s.cfg.Postmaster)
	if err != nil {
		if store.IsKind(err, store.KindNotFound) {
			return accounts.Resolution{}, notFound
		}
		return accounts.Resolution{}, err
	}
	r, err := s.res.Resolve(ctx, addr)
	switch {
	case err != nil && !store.IsKind(err, store.KindNotFound):
		return r, err
	case err != nil || len(r.Remote) > 0 || len(r.Local) == 0:
		return accounts.Resolution{}, notFound
	}
	return r, nil
}

// CheckRecipient runs the RCPT-time checks: the address must be local and
// exist, and its accounts must have room (when the client declared SIZE,
// against that size); an address in another domain is accepted only from
// an authenticated client, for the queue. nil means accept.
func (s *Service) CheckRecipient(ctx context.Context, env *envelope.Envelope, rcpt envelope.Recipient) *smtpreply.Reply {
	if r := s.checkSendLimit(ctx, env, 1); r != nil {
		return r
	}
	rt, reply := s.route(ctx, env, rcpt)
	if reply != nil {
		return reply
	}
	for _, id := range rt.local {
		if reply := s.checkQuota(ctx, id, rcpt.Addr.String(), env.Size); reply != nil {
			return reply
		}
	}
	return nil
}

// checkQuota refuses an account that is full (452 4.2.2) or whose whole
// quota is smaller than the message (552 5.2.2).
func (s *Service) checkQuota(ctx context.Context, id store.AccountID, addr string, size int64) *smtpreply.Reply {
	maxBytes, maxMessages, err := s.st.QuotaLimits(ctx, id)
	if err != nil {
		return s.localError("read quota", err)
	}
	if maxBytes == 0 && maxMessages == 0 {
		return nil // unlimited: the usage need not be read
	}
	q, err := s.st.Quota(ctx, id)
	if err != nil {
		return s.localError("read quota", err)
	}
	if q.MaxBytes > 0 && size > q.MaxBytes {
		return smtpreply.MessageExceedsQuota(addr)
	}
	if (q.MaxBytes > 0 && q.UsedBytes+max(size, 1) > q.MaxBytes) || (q.MaxMessages > 0 && q.UsedMessages >= q.MaxMessages) {
		return smtpreply.MailboxFull(addr)
	}
	return nil
}

// localError logs an internal failure under a reference and returns the
// temporary reply that carries only the reference: 452 4.3.1 when the
// disk is full (README "Storage"), else the generic 451 4.3.0.
func (s *Service) localError(what string, err error) *smtpreply.Reply {
	ref := obs.NewID()
	if store.IsKind(err, store.KindNoSpace) {
		s.log.Error("delivery: "+what+": disk full", "ref", ref, "err", err)
		return smtpreply.InsufficientStorage(ref)
	}
	s.log.Error("delivery: "+what, "ref", ref, "err", err)
	return smtpreply.LocalError(ref)
}

// storeResults turns the store's per-target results into replies.
func (s *Service) storeResults(ctx context.Context, env *envelope.Envelope, targets []store.Target, owners [][]int,
	results []store.Delivered, total int64, replies []*smtpreply.Reply) {
	// The targets that an aborted atomic delivery took along (KindTemporary).
	aborted := smtpreply.New(451, smtpreply.Enhanced{4, 3, 0}, "Not delivered: try again later")
	for i, rcpt := range env.Recipients {
		for _, j := range owners[i] {
			if err := results[j].Err; err != nil && replies[i] == nil {
				if store.IsKind(err, store.KindTemporary) {
					replies[i] = aborted
				} else {
					replies[i] = s.storeFailure(ctx, targets[j].Account, rcpt.Addr.String(), total, err)
				}
			}
		}
	}
	if !env.PerRecipient {
		// Prefer the failure that made the atomic delivery abort.
		for _, r := range replies {
			if r != nil && r != aborted {
				fill(replies, r)
				return
			}
		}
		if firstFailure(replies) != nil {
			fill(replies, aborted)
		}
	}
}

// storeFailure maps a per-target store error to the recipient's reply.
func (s *Service) storeFailure(ctx context.Context, id store.AccountID, addr string, size int64, err error) *smtpreply.Reply {
	switch store.KindOf(err) {
	case store.KindOverQuota:
		if q, qerr := s.st.Quota(ctx, id); qerr == nil && q.MaxBytes > 0 && size > q.MaxBytes {
			return smtpreply.MessageExceedsQuota(addr)
		}
		return smtpreply.MailboxFull(addr)
	case store.KindNotFound:
		return smtpreply.NoSuchUser(addr)
	default:
		return s.localError("store message for "+addr, err)
	}
}

func firstFailure(rs []*smtpreply.Reply) *smtpreply.Reply {
	for _, r := range rs {
		if r != nil {
			return r
		}
	}
	return nil
}

func fill(rs []*smtpreply.Reply, r *smtpreply.Reply) []*smtpreply.Reply {
	for i := range rs {
		rs[i] = r
	}
	return rs
}
