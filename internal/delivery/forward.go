package delivery

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/smtpreply"
	"github.com/petrelmail/petrel/internal/srs"
	"github.com/petrelmail/petrel/internal/store"
)

// SRS rewrites the reverse path of forwarded mail and decodes the
// addresses it made when bounces come back (package srs; README
// "Forwarding and SRS").
type SRS interface {
	Forward(ctx context.Context, sender mailaddr.Address, domain string) (mailaddr.Address, error)
	Reverse(ctx context.Context, addr mailaddr.Address) (mailaddr.Address, error)
}

// MaxHops is the number of Received fields past which a message is not
// forwarded any more: a loop (RFC 5321 §6.3: "at least 100").
const MaxHops = 100

// forwarding marks the remote recipients of a route that are forwarded
// rather than relayed: the remote targets of an alias, the original
// sender of a bounce to an SRS address.
type forwarding struct {
	// via is the local address that forwards: the Delivered-To field of
	// the forwarded copy and the loop check's key ("" for none: a bounce).
	via string
	// domain is our domain that forwards: the domain of the SRS sender.
	domain string
}

// headerFacts is what forwarding and the queue read of a message's
// header: the Delivered-To addresses, the Received fields (hops) and
// "TLS-Required: No" (RFC 8689 §3; the first such field counts).
type headerFacts struct {
	deliveredTo []string
	hops        int
	tlsOptional bool
}

// readFacts reads the header section of r, up to header.MaxSection.
func readFacts(r io.Reader) (*headerFacts, error) {
	_, fields, err := header.Read(bufio.NewReader(r), header.MaxSection)
	if err != nil && !errors.Is(err, header.ErrTooLarge) {
		return nil, err
	}
	h := &headerFacts{}
	if f, ok := header.Get(fields, "TLS-Required"); ok {
		h.tlsOptional = strings.EqualFold(strings.TrimSpace(f.Value()), "No")
	}
	for _, f := range fields {
		switch {
		case f.Is("Received"):
			h.hops++
		case f.Is("Delivered-To"):
			h.deliveredTo = append(h.deliveredTo, strings.Trim(f.Value(), "<> \t"))
		}
	}
	return h, nil
}

// delivered reports whether the message was delivered to addr already
// (a Delivered-To field names it, case-insensitively).
func (h *headerFacts) delivered(addr string) bool {
	for _, d := range h.deliveredTo {
		if strings.EqualFold(d, addr) {
			return true
		}
	}
	return false
}

// facts reads the header facts of the message once per Deliver.
func (t *ingest) facts() (*headerFacts, error) {
	if t.head != nil {
		return t.head, nil
	}
	var r io.Reader
	if _, ok := t.msg.body.(io.Seeker); ok {
		var err error
		if r, _, err = t.msg.open(""); err != nil {
			return nil, err
		}
	} else {
		raw, err := t.msg.readAll() // keeps a body that cannot be rewound
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(raw)
	}
	h, err := readFacts(r)
	t.head = h
	return h, err
}

// checkLoops refuses the forwarded recipients of a message that went
// round: its header has a Delivered-To field naming the alias already
// (550 5.4.6, the alias forwarded it before), or MaxHops Received fields
// (554 5.4.6).
func (s *Service) checkLoops(t *ingest) *smtpreply.Reply {
	forwards := false
	for i, rt := range t.routes {
		forwards = forwards || (rt.fwd != nil && t.replies[i] == nil)
	}
	if !forwards {
		return nil
	}
	h, err := t.facts()
	if err != nil {
		return s.localError("read header", err)
	}
	for i, rt := range t.routes {
		if rt.fwd == nil || t.replies[i] != nil {
			continue
		}
		addr := t.env.Recipients[i].Addr.String()
		switch {
		case rt.fwd.via != "" && h.delivered(rt.fwd.via):
			t.replies[i] = smtpreply.RoutingLoop(addr)
		case h.hops >= MaxHops:
			t.replies[i] = smtpreply.TooManyHops(addr)
		default:
			continue
		}
		s.log.Info("forwarding loop refused", append(t.env.LogAttrs(), "rcpt", addr, "hops", h.hops)...)
	}
	return nil
}

// reverseSRS routes a recipient whose local part is an SRS address in
// one of our domains (or the SRS domain): a bounce to a message we
// forwarded. An address we made, younger than the maximum age, goes to
// the original sender through the queue (an SRS1 address to the first
// forwarder, or to the original sender when that was us), before any
// account, alias or catch-all (as postsrsd's rewriting before Postfix's
// lookups), but only for the null reverse path: bounces are sent with it
// (RFC 5321 §4.5.5, RFC 3464 §2); any other sender gets 550 5.7.1
// (srsBounceOnly), or anyone who got a forwarded copy could relay
// anything to its original sender. Any other address is not ours: ok is
// false and the recipient is routed as usual (no such user, unless an
// alias takes it): never relayed (README "Forwarding and SRS").
func (s *Service) reverseSRS(ctx context.Context, env *envelope.Envelope, rcpt envelope.Recipient) (rt route, reply *smtpreply.Reply, ok bool) {
	addr := rcpt.Addr.String()
	ours, err := s.isLocal(ctx, rcpt.Addr.Domain)
	if err != nil {
		return route{}, s.localError("check domain", err), true
	}
	if !ours && !strings.EqualFold(rcpt.Addr.Domain, s.cfg.SRSDomain) {
		return route{}, nil, false
	}
	orig, err := s.cfg.SRS.Reverse(ctx, rcpt.Addr)
	if err == nil && srs.IsSRS(orig.Local) {
		if ours, err = s.isLocal(ctx, orig.Domain); err == nil && ours {
			orig, err = s.cfg.SRS.Reverse(ctx, orig)
		}
	}
	switch {
	case errors.Is(err, srs.ErrNotSRS), errors.Is(err, srs.ErrMalformed), errors.Is(err, srs.ErrBadHash), errors.Is(err, srs.ErrExpired):
		s.log.Info("srs: address not ours or expired", "rcpt", addr, "reason", err)
		return route{}, nil, false
	case err != nil:
		return route{}, s.localError("decode SRS address", err), true
	case !env.From.IsZero():
		s.log.Info("srs: address refused to a non-null sender", append(env.LogAttrs(), "rcpt", addr)...)
		return route{}, srsBounceOnly(addr), true
	case s.cfg.Queue == nil:
		return route{}, smtpreply.ForwardingUnavailable(addr), true
	}
	if ours, err := s.isLocal(ctx, orig.Domain); err != nil || ours {
		// We rewrite no sender of our own domains: such an address was
		// not made here for a bounce.
		return route{}, nil, false
	}
	f, err := forwarded(rcpt, orig.String())
	if err != nil {
		return route{}, nil, false
	}
	return route{remote: []envelope.Recipient{f}, fwd: &forwarding{domain: s.srsDomain(rcpt.Addr.Domain)}}, nil, true
}

// srsBounceOnly refuses a sender other than the null one to an SRS
// address of ours: 550 5.7.1 (RFC 3463 X.7.1, delivery not authorized).
func srsBounceOnly(addr string) *smtpreply.Reply {
	return smtpreply.New(550, smtpreply.Enhanced{5, 7, 1}, "<%s>: This address takes only bounces (null reverse path)", addr)
}

// srsDomain is the domain of the SRS senders made for a message that
// domain forwards: the configured one, else domain itself.
func (s *Service) srsDomain(domain string) string {
	if s.cfg.SRSDomain != "" {
		return s.cfg.SRSDomain
	}
	return domain
}

// isLocal reports whether domain is one of ours: a local domain or the
// host name.
func (s *Service) isLocal(ctx context.Context, domain string) (bool, error) {
	if strings.EqualFold(domain, s.cfg.Hostname) {
		return true, nil
	}
	ok, err := s.res.IsLocalDomain(ctx, domain)
	if store.IsKind(err, store.KindInvalid) {
		return false, nil
	}
	return ok, err
}

// forwardSender is the reverse path of a copy that domain forwards: the
// SRS address of from, or from itself when it is null or in a local
// domain (its bounces come here anyway; README "Forwarding and SRS"), or
// when there is no SRS.
func (s *Service) forwardSender(ctx context.Context, from mailaddr.Address, domain string) (mailaddr.Address, error) {
	if s.cfg.SRS == nil || from.IsZero() || from.IsLiteral() {
		return from, nil
	}
	if ours, err := s.isLocal(ctx, from.Domain); err != nil || ours {
		return from, err
	}
	return s.cfg.SRS.Forward(ctx, from, domain)
}

// forwardable returns a forwarded copy (a redirect of the copy stored
// for via) without its Return-Path, or false (logged) when it must not
// be sent: it would loop (forwardLoop).
func (s *Service) forwardable(body []byte, via string, log []any) ([]byte, bool) {
	body = stripReturnPath(body)
	cause, err := forwardLoop(body, via)
	switch {
	case err != nil:
		s.log.Error("delivery: a forwarded copy not sent: header unreadable", append(log, "err", err)...)
	case cause != "":
		s.log.Info("delivery: a forwarded copy not sent: "+cause, append(log, "via", via)...)
	default:
		return body, true
	}
	return nil, false
}

// forwardLoop says why a copy of body forwarded through via would loop,
// "" when it would not: it came through via already (a Delivered-To field
// names it), or has MaxHops Received fields (RFC 5321 §6.3).
func forwardLoop(body []byte, via string) (string, error) {
	h, err := readFacts(bytes.NewReader(body))
	switch {
	case err != nil:
		return "", err
	case via != "" && h.delivered(via):
		return "it came through here already (loop)", nil
	case h.hops >= MaxHops:
		return "too many hops (loop)", nil
	}
	return "", nil
}

// deliveredTo is the Delivered-To field that a forwarded copy carries
// (the loop check's key), "" without via.
func deliveredTo(via string) string {
	if via == "" {
		return ""
	}
	return "Delivered-To: " + via + "\r\n"
}

// stripReturnPath removes the Return-Path fields at the top of a stored
// copy that goes out again: final delivery added them (RFC 5321 §4.4),
// and the next one adds its own.
func stripReturnPath(msg []byte) []byte {
	for len(msg) >= 12 && strings.EqualFold(string(msg[:12]), "Return-Path:") {
		end := 0
		for {
			i := bytes.IndexByte(msg[end:], '\n')
			if i < 0 {
				return msg[len(msg):]
			}
			end += i + 1
			if end >= len(msg) || (msg[end] != ' ' && msg[end] != '\t') {
				break
			}
		}
		msg = msg[end:]
	}
	return msg
}
