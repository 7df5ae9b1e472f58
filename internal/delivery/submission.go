package delivery

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/mime7bit"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// addedRoom is the part of header.MaxSection kept for the Date and
// Message-ID fields submission adds (missingFields: under 400 octets) in
// front of the client's header: the DKIM signer reads both with that
// limit, and must find the header whole where the check did.
const addedRoom = 1 << 10

// message is the body of one Deliver call, read once per destination
// (local store, queue) with its own prefix of header fields.
type message struct {
	body  io.Reader
	size  int64
	added string // fields added to a submitted message (Date, Message-ID)
	read  bool
}

var errNotRewindable = errors.New("message body cannot be read twice")

// open returns the message with trace (the destination's trace fields)
// and the added fields before it, and its size. A second open rewinds the
// body, which must then be an io.Seeker (smtpd's bodies are).
func (m *message) open(trace string) (io.Reader, int64, error) {
	if m.read {
		sk, ok := m.body.(io.Seeker)
		if !ok {
			return nil, 0, errNotRewindable
		}
		if _, err := sk.Seek(0, io.SeekStart); err != nil {
			return nil, 0, err
		}
	}
	m.read = true
	prefix := trace + m.added
	return io.MultiReader(strings.NewReader(prefix), m.body), m.size + int64(len(prefix)), nil
}

// CheckSender applies the sender rule of submission at MAIL FROM: an
// authenticated client may use only an address its account may send as
// (RFC 6409 §6.1; accounts.Service.MaySendAs), else 553 5.7.1. The null
// reverse-path is allowed (a client sending a notification that must not
// be answered, RFC 8098 §2.1), as is anything without authentication.
// An account over its sending limits gets 451 4.7.1 (sendlimit.go),
// whatever the sender.
func (s *Service) CheckSender(ctx context.Context, env *envelope.Envelope) *smtpreply.Reply {
	if r := s.checkSendLimit(ctx, env, 0); r != nil {
		return r
	}
	return s.senderRule(ctx, env)
}

// senderRule is CheckSender without the sending limits (checked again at
// the end of data, where the limits are not: the message is on its way).
func (s *Service) senderRule(ctx context.Context, env *envelope.Envelope) *smtpreply.Reply {
	if env.AuthAccount == "" || env.From.IsZero() {
		return nil
	}
	return s.mayUse(ctx, env.AuthAccount, env.From.String())
}

func (s *Service) mayUse(ctx context.Context, account, addr string) *smtpreply.Reply {
	ok, err := s.res.MaySendAs(ctx, account, addr)
	switch {
	case err != nil:
		return s.localError("check sender", err)
	case !ok:
		return smtpreply.SenderNotOwned(addr)
	}
	return nil
}

// prepareSubmission applies RFC 6409 to a submitted message: the
// envelope sender and every From: address must be the user's (§6.1; 553
// 5.7.1, a missing or unreadable From: 554 5.6.0; a header over
// header.MaxSection or with a malformed line 554 5.6.0), no line may be over
// 998 octets (554 5.6.0: it could not be relayed as it is, and a
// conversion after signing would break the DKIM signature; README
// "Submission"), and a missing Date (§8.2) or Message-ID (§8.3) is added.
func (s *Service) prepareSubmission(ctx context.Context, env *envelope.Envelope, msg *message) *smtpreply.Reply {
	if r := s.senderRule(ctx, env); r != nil {
		return r
	}
	r, _, err := msg.open("")
	if err != nil {
		return s.localError("read submitted message", err)
	}
	long, err := mime7bit.HasLongLine(r) // RFC 5321 §4.5.3.1.6
	if err != nil {
		return s.localError("read submitted message", err)
	}
	if long {
		return smtpreply.MessageLineTooLong()
	}
	if r, _, err = msg.open(""); err != nil {
		return s.localError("read submitted message", err)
	}
	// The header must end within the limit the DKIM signer also reads
	// (header.MaxSection, less the room for the fields added here), and
	// every line of it be a field: a From field past the limit or behind
	// a bad name would go unchecked, and be signed.
	raw, fields, err := header.Read(bufio.NewReader(r), header.MaxSection-addedRoom)
	switch {
	case errors.Is(err, header.ErrTooLarge):
		return smtpreply.HeaderTooLarge()
	case err != nil:
		return s.localError("read submitted message", err)
	case len(header.Malformed(raw)) > 0:
		return smtpreply.HeaderMalformed()
	}
	// The From rule of package header: every address of every From
	// field must be the user's, and one that cannot be read refuses.
	from := header.From(fields)
	if !from.Readable() {
		return smtpreply.NoValidFrom()
	}
	for _, a := range from.Addresses {
		if r := s.mayUse(ctx, env.AuthAccount, a.Address); r != nil {
			return r
		}
	}
	msg.added = s.missingFields(env, fields)
	return nil
}

// missingFields returns the Date (RFC 5322 §3.6.1) and Message-ID (§3.6.4)
// fields a submitted message lacks, CRLF-terminated. The Message-ID's
// right-hand side is the host name, its left-hand side unique (RFC 5322
// §3.6.4): the queue ID and 128 random bits.
func (s *Service) missingFields(env *envelope.Envelope, fields []header.Field) string {
	var b strings.Builder
	if _, ok := header.Get(fields, "Date"); !ok {
		date := env.Received
		if date.IsZero() {
			date = time.Now()
		}
		fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	}
	if _, ok := header.Get(fields, "Message-ID"); !ok {
		fmt.Fprintf(&b, "Message-ID: <%s.%s@%s>\r\n", clean(env.ID, "petrel"), rand.Text(), clean(s.cfg.Hostname, "localhost"))
	}
	return b.String()
}
