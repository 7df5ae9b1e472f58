package delivery

import (
	"context"
	"errors"
	"io"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/msgauth"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// ListenerMX is Envelope.Listener for the MX (listen.smtp): the listener
// whose mail is authenticated.
const ListenerMX = "smtp"

// Checker authenticates mail arriving on the MX (package msgauth's
// Checker): SPF, DKIM and DMARC, with the Authentication-Results field to
// add and the forged ones to remove.
type Checker interface {
	Check(ctx context.Context, in msgauth.Input, msg io.Reader) (msgauth.Verdict, error)
}

// inboundAuth is what the checks decided for one transaction.
type inboundAuth struct {
	results string          // the Authentication-Results field, above Received
	verdict msgauth.Verdict // for the policies (Message.Auth)
}

// checked reports whether a transaction's message is authenticated: mail
// from the Internet, received on the MX from a client that did not log
// in. Submission and LMTP (behind a trusted MTA that checked already)
// are not.
func (s *Service) checked(env *envelope.Envelope) bool {
	return s.cfg.Checker != nil && env.Listener == ListenerMX && env.AuthAccount == "" && !env.PerRecipient
}

// authenticate runs the checks on the message before it is routed and
// stored. Reject and TempFail refuse it (the reply goes to every
// recipient: the one reply after DATA); the verdict goes to the policy
// stage (policy.go), where QuarantineJunk files the local copies of a
// DMARC quarantine in Junk (forwarded copies go out as they are). The Authentication-Results
// field goes above the Received field of this hop (RFC 8601 §4, its
// examples in Appendix B; as Postfix with OpenDMARC and mox write it),
// below Return-Path, which final delivery puts on top (RFC 5321 §4.4).
// Incoming fields that claim this server's authserv-id are left out of
// every copy (RFC 8601 §5).
func (s *Service) authenticate(ctx context.Context, t *ingest) *smtpreply.Reply {
	env, msg := t.env, t.msg
	body, ok := msg.body.(io.ReadSeeker)
	if !ok {
		return s.localError("authenticate message", errNotRewindable)
	}
	in := msgauth.Input{ID: env.ID, Conn: env.Conn, Listener: env.Listener, ClientIP: env.ClientIP, Helo: env.Helo, MailFrom: env.ReversePath()}
	v, err := s.cfg.Checker.Check(ctx, in, body)
	if err != nil {
		return s.localError("authenticate message", err)
	}
	if v.Action == msgauth.Reject || v.Action == msgauth.TempFail {
		s.log.Info("message refused by DMARC", append(env.LogAttrs(), "from_domain", v.DMARC.From,
			"dmarc", v.DMARC.Result, "code", v.Reply.Code)...)
		return v.Reply
	}
	sr, removed, err := newSkipReader(body, v.Remove)
	if err != nil {
		return s.localError("rewind message", err)
	}
	msg.body, msg.size = sr, msg.size-removed
	t.auth = inboundAuth{results: v.Header, verdict: v}
	return nil
}

// skipReader reads a message without some of its byte ranges (the forged
// Authentication-Results fields). It can be rewound to the start, which
// is all message.open asks of a body.
type skipReader struct {
	r    io.ReadSeeker
	skip []msgauth.Range // in order, not overlapping
	next int             // index of the next range ahead
	pos  int64           // offset in r
}

// newSkipReader rewinds r and returns it without the ranges, and how many
// octets they hold.
func newSkipReader(r io.ReadSeeker, skip []msgauth.Range) (*skipReader, int64, error) {
	var n int64
	for _, rg := range skip {
		n += rg.End - rg.Start
	}
	sr := &skipReader{r: r, skip: skip}
	_, err := sr.Seek(0, io.SeekStart)
	return sr, n, err
}

func (s *skipReader) Read(p []byte) (int, error) {
	for s.next < len(s.skip) && s.pos >= s.skip[s.next].Start {
		if s.pos < s.skip[s.next].End {
			if _, err := s.r.Seek(s.skip[s.next].End, io.SeekStart); err != nil {
				return 0, err
			}
			s.pos = s.skip[s.next].End
		}
		s.next++
	}
	if s.next < len(s.skip) {
		p = p[:min(int64(len(p)), s.skip[s.next].Start-s.pos)]
	}
	n, err := s.r.Read(p)
	s.pos += int64(n)
	return n, err
}

var errSeek = errors.New("skipReader: only a seek to the start is supported")

// Seek rewinds to the start; no other seek is supported.
func (s *skipReader) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errSeek
	}
	if _, err := s.r.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	s.pos, s.next = 0, 0
	return 0, nil
}
