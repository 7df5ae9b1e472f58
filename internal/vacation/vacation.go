package vacation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/store"
)

// Request is one vacation action on one delivered copy.
type Request struct {
	// Message is the incoming message; only its header section is read.
	Message []byte
	// ReversePath is the envelope sender, "" for the null reverse path.
	ReversePath string
	// Recipient is the envelope recipient the copy was delivered to.
	Recipient string
	// Account is the account's primary address: the tracking is kept
	// per account.
	Account string
	// Addresses are the user's other addresses (aliases), besides
	// Account, Recipient and the action's :addresses.
	Addresses []string
	// Action is the script's vacation action.
	Action *sieve.VacationReply
}

// Reply is the outcome of a Request: the reply to send, or why none is.
type Reply struct {
	// Skip names the rule that held the reply back (the Skip constants);
	// "" when Body is a reply to send.
	Skip string
	// To is the reply's one recipient: the reverse path (RFC 5230 §5.4,
	// RFC 3834 §3.3). The reply's own reverse path is null (RFC 5230
	// §5.1).
	To string
	// Body is the reply, CRLF line ends.
	Body []byte
}

// Config configures a Responder.
type Config struct {
	// KV keeps the tracking of replies sent, shared by every node.
	KV store.KV
	// Hostname is the right side of the replies' Message-IDs; the
	// domain of their From when empty.
	Hostname string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// MinPeriod raises every action's period to at least this (RFC 6131
	// §2 leaves the minimum to the site; config sieve.vacation_min_period):
	// a forged sender then draws at most one reply per period. 0 keeps
	// the scripts' periods, :seconds 0 included.
	MinPeriod time.Duration
}

// Responder answers vacation actions.
type Responder struct {
	cfg Config
}

// New returns a Responder keeping its tracking in cfg.KV.
func New(cfg Config) *Responder {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Responder{cfg: cfg}
}

// Reply decides whether req is answered and writes the reply. The reply
// is recorded for its period when it is made; an error (the store) makes
// none.
func (r *Responder) Reply(ctx context.Context, req Request) (*Reply, error) {
	v := req.Action
	if v == nil {
		return nil, fmt.Errorf("vacation: no action")
	}
	fields := headerFields(req.Message)
	own := ownAddresses(req)
	if skip := check(fields, req.ReversePath, own); skip != "" {
		return &Reply{Skip: skip}, nil
	}
	now := r.cfg.Now()
	c := composition{to: req.ReversePath, from: fromField(v.From, req.Recipient),
		subject: replySubject(fields, v), date: now, action: v}
	c.inReplyTo, c.refs = threading(fields)
	c.messageID = r.messageID(c.from)
	body := compose(c)
	ok, err := r.record(ctx, req, now)
	if err != nil || !ok {
		return &Reply{Skip: SkipPeriod}, err
	}
	return &Reply{To: req.ReversePath, Body: body}, nil
}

// ownAddresses are the user's addresses in canonical form (RFC 5230
// §4.5): the account's, the envelope recipient, :addresses and the
// others of the request.
func ownAddresses(req Request) map[string]bool {
	own := map[string]bool{}
	for _, list := range [][]string{{req.Account, req.Recipient}, req.Action.Addresses, req.Addresses} {
		for _, a := range list {
			if a != "" {
				own[canonical(a)] = true
			}
		}
	}
	return own
}

// messageID is a fresh Message-ID (RFC 5322 §3.6.4) on the host name, or
// on the domain of from.
func (r *Responder) messageID(from string) string {
	host := r.cfg.Hostname
	if host == "" {
		if a, err := addrParser.Parse(from); err == nil {
			host = a.Address[strings.LastIndexByte(a.Address, '@')+1:]
		}
	}
	if host == "" || strings.ContainsAny(host, "<>@ \t") {
		host = "localhost"
	}
	var n [16]byte
	_, _ = rand.Read(n[:]) // crypto/rand.Read does not fail
	return "<vacation." + hex.EncodeToString(n[:]) + "@" + host + ">"
}

// trackKey is where the reply to sender for the handle is recorded:
// vacation/<account>/<hash of sender and handle> (RFC 5230 §4.2: the
// tracking is per sender and handle; the default handle covers the
// reason, :subject and :from, and is the sieve package's).
func trackKey(account, sender, handle string) string {
	h := sha256.Sum256([]byte(canonical(sender) + "\x00" + handle))
	return "vacation/" + url.PathEscape(canonical(account)) + "/" + hex.EncodeToString(h[:16])
}

// record notes a reply to the sender for the action's period, and
// reports whether the reply is to be sent: false when one went within
// the period. A period of 0 (RFC 6131 §2: :seconds 0) answers every
// message and records nothing. The entry's value is the end of the
// period (Unix seconds), so every node reads the same expiry.
func (r *Responder) record(ctx context.Context, req Request, now time.Time) (bool, error) {
	period := max(req.Action.Period, r.cfg.MinPeriod)
	if period <= 0 {
		return true, nil
	}
	key := trackKey(req.Account, req.ReversePath, req.Action.Handle)
	val, err := r.cfg.KV.KVLoad(ctx, key)
	switch {
	case err == nil:
		end, perr := strconv.ParseInt(strings.TrimSpace(string(val)), 10, 64)
		if perr == nil && now.Unix() < end {
			return false, nil
		}
		// Expired (or unreadable): pruned, and recorded anew below.
		if err := r.cfg.KV.KVDelete(ctx, key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return false, err
		}
	case !store.IsKind(err, store.KindNotFound):
		return false, err
	}
	end := strconv.FormatInt(now.Add(period).Unix(), 10)
	err = r.cfg.KV.KVCreate(ctx, key, []byte(end))
	if store.IsKind(err, store.KindExists) {
		return false, nil // another node answered this sender just now
	}
	return err == nil, err
}
