package greylist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// KV is what greylisting needs of the store (store.KV).
type KV interface {
	KVCreate(ctx context.Context, key string, value []byte) error
	KVStore(ctx context.Context, key string, value []byte) error
	KVLoad(ctx context.Context, key string) ([]byte, error)
	KVDelete(ctx context.Context, key string) error
	KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error)
}

// Config sets the times. Zero fields take the defaults.
type Config struct {
	// Delay is how long a new triplet is refused. Default 5 minutes.
	Delay time.Duration
	// RetryWindow is how long after Delay a retry is accepted; a later
	// one starts afresh. Default 24 hours.
	RetryWindow time.Duration
	// Expiry is how long a triplet that passed, and the sender domain's
	// allowance from its network, last after they were last seen.
	// Default 35 days (a monthly newsletter stays known).
	Expiry time.Duration
	// SweepEvery is how often Check starts a Sweep in the background
	// (default 1 hour; negative: never, the caller sweeps).
	SweepEvery time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Delay <= 0 {
		c.Delay = 5 * time.Minute
	}
	if c.RetryWindow <= 0 {
		c.RetryWindow = 24 * time.Hour
	}
	if c.Expiry <= 0 {
		c.Expiry = 35 * 24 * time.Hour
	}
	if c.SweepEvery == 0 {
		c.SweepEvery = time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Key prefixes in the KV: pending triplets (the time of the first
// attempt), triplets that passed and allowed sender domains (the time
// last seen).
const (
	prefix        = "greylist/"
	pendingPrefix = prefix + "pending/"
	passedPrefix  = prefix + "passed/"
	senderPrefix  = prefix + "sender/"
)

// refreshEvery is how old the time of a passed record may get before a
// message seen again writes it anew: one write a day per record, not one
// per message.
const refreshEvery = 24 * time.Hour

// Greylist decides on messages by their triplets.
type Greylist struct {
	cfg       Config
	kv        KV
	nextSweep atomic.Int64 // Unix seconds
}

// New returns a greylist on kv.
func New(cfg Config, kv KV) *Greylist {
	g := &Greylist{cfg: cfg.withDefaults(), kv: kv}
	g.nextSweep.Store(g.cfg.Now().Add(g.cfg.SweepEvery).Unix())
	return g
}

// sweepTimeout bounds a background sweep.
const sweepTimeout = 5 * time.Minute

// maybeSweep starts a Sweep in the background once per SweepEvery; a
// failed one is tried again at the next. Records also expire on read,
// so a late sweep only costs space.
func (g *Greylist) maybeSweep(now time.Time) {
	next := g.nextSweep.Load()
	if g.cfg.SweepEvery < 0 || now.Unix() < next || !g.nextSweep.CompareAndSwap(next, now.Add(g.cfg.SweepEvery).Unix()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
		defer cancel()
		_, _ = g.Sweep(ctx)
	}()
}

// Delay is the configured delay.
func (g *Greylist) Delay() time.Duration { return g.cfg.Delay }

// Outcome is the decision on one message.
type Outcome struct {
	// Pass accepts the message. How says why: "allowlisted" (the
	// sender's domain retried from this network before), "known" (every
	// triplet passed before), "retried" (a triplet passed now).
	Pass bool
	How  string
	// Wait is, for a message refused, how long until its retry is
	// accepted.
	Wait time.Duration
}

// Check decides on a message from client with sender (the reverse-path,
// "" for <>) to rcpts. It passes when the sender's domain is allowed from
// the client network, or when every triplet passes; each new triplet is
// recorded (RFC 6647 §2: greylisting at the SMTP level by the triplet).
func (g *Greylist) Check(ctx context.Context, client netip.Addr, sender string, rcpts []string) (Outcome, error) {
	now := g.cfg.Now()
	g.maybeSweep(now)
	net := Network(client)
	domain := senderDomain(sender)
	if domain != "" {
		ok, err := g.fresh(ctx, senderPrefix+hash(net, domain), now, g.cfg.Expiry)
		if err != nil || ok {
			return Outcome{Pass: ok, How: "allowlisted"}, err
		}
	}
	out := Outcome{Pass: true, How: "known"}
	for _, rcpt := range rcpts {
		o, err := g.triplet(ctx, hash(net, strings.ToLower(sender), strings.ToLower(rcpt)), now)
		if err != nil {
			return Outcome{}, err
		}
		switch {
		case !o.Pass:
			out.Pass, out.How, out.Wait = false, "", max(out.Wait, o.Wait)
		case out.Pass && o.How == "retried":
			out.How = o.How
		}
	}
	if out.Pass && out.How == "retried" && domain != "" {
		if err := g.kv.KVStore(ctx, senderPrefix+hash(net, domain), stamp(now)); err != nil {
			return Outcome{}, err
		}
	}
	return out, nil
}

// triplet decides on one triplet (its hash h).
func (g *Greylist) triplet(ctx context.Context, h string, now time.Time) (Outcome, error) {
	ok, err := g.fresh(ctx, passedPrefix+h, now, g.cfg.Expiry)
	if err != nil || ok {
		return Outcome{Pass: ok, How: "known"}, err
	}
	key := pendingPrefix + h
	first, found, err := g.load(ctx, key)
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case !found:
		err = g.kv.KVCreate(ctx, key, stamp(now))
		if store.IsKind(err, store.KindExists) { // another node, just now
			err = nil
		}
		return Outcome{Wait: g.cfg.Delay}, err
	case now.Before(first.Add(g.cfg.Delay)):
		return Outcome{Wait: first.Add(g.cfg.Delay).Sub(now)}, nil
	case now.After(first.Add(g.cfg.Delay + g.cfg.RetryWindow)):
		// Too late: a retry that came after the window starts over.
		return Outcome{Wait: g.cfg.Delay}, g.kv.KVStore(ctx, key, stamp(now))
	}
	if err := g.kv.KVStore(ctx, passedPrefix+h, stamp(now)); err != nil {
		return Outcome{}, err
	}
	if err := g.kv.KVDelete(ctx, key); err != nil && !store.IsKind(err, store.KindNotFound) {
		return Outcome{}, err
	}
	return Outcome{Pass: true, How: "retried"}, nil
}

// fresh reports whether key holds a time within ttl of now; a time older
// than refreshEvery is written anew.
func (g *Greylist) fresh(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error) {
	at, found, err := g.load(ctx, key)
	if err != nil || !found || now.Sub(at) > ttl {
		return false, err
	}
	if now.Sub(at) > refreshEvery {
		return true, g.kv.KVStore(ctx, key, stamp(now))
	}
	return true, nil
}

// load reads the time stored at key.
func (g *Greylist) load(ctx context.Context, key string) (time.Time, bool, error) {
	v, err := g.kv.KVLoad(ctx, key)
	if store.IsKind(err, store.KindNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	sec, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("greylist: bad record %s: %w", key, err)
	}
	return time.Unix(sec, 0), true, nil
}

// Sweep deletes the records past their time: pending triplets whose retry
// window is over, and passed triplets and allowed senders not seen for
// Expiry. It returns how many it deleted. Several nodes may sweep at once.
func (g *Greylist) Sweep(ctx context.Context) (int, error) {
	now := g.cfg.Now()
	n := 0
	for _, p := range []struct {
		prefix string
		ttl    time.Duration
	}{{pendingPrefix, g.cfg.Delay + g.cfg.RetryWindow}, {passedPrefix, g.cfg.Expiry}, {senderPrefix, g.cfg.Expiry}} {
		keys, err := g.kv.KVList(ctx, p.prefix)
		if err != nil {
			return n, err
		}
		for _, k := range keys {
			if now.Sub(k.Modified) <= p.ttl {
				continue
			}
			if at, found, err := g.load(ctx, k.Key); err != nil || !found || now.Sub(at) <= p.ttl {
				continue // refreshed meanwhile, gone, or unreadable
			}
			if err := g.kv.KVDelete(ctx, k.Key); err == nil {
				n++
			} else if !store.IsKind(err, store.KindNotFound) {
				return n, err
			}
		}
	}
	return n, nil
}

// Network is the client network of a triplet: the IPv4 /24 or the IPv6
// /64 of client, so that a sender's pool of neighbouring servers retrying
// from another address passes.
func Network(client netip.Addr) netip.Prefix {
	client = client.Unmap()
	bits := 64
	if client.Is4() {
		bits = 24
	}
	p, _ := client.Prefix(bits)
	return p
}

// senderDomain is the lower-cased domain of a reverse-path, "" for <>.
func senderDomain(sender string) string {
	i := strings.LastIndexByte(sender, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(sender[i+1:])
}

// hash names a record: keys hold no addresses (they may contain "/" and
// anything else a local part may).
func hash(net netip.Prefix, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(net.String()))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func stamp(t time.Time) []byte { return strconv.AppendInt(nil, t.Unix(), 10) }
