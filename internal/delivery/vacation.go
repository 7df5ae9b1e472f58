package delivery

import (
	"context"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/store"
)

// Vacationer decides whether a vacation action is answered and writes
// the reply (RFC 5230, RFC 3834). Stage 3 of issue 18 fills it in.
type Vacationer interface{}

// vacationReply is the reply to send for a vacation action of the
// account's script on the copy for rcpt (raw is the copy as the script
// saw it), or nil when none is to be sent.
func (p Sieve) vacationReply(ctx context.Context, m *Message, rcpt Rcpt, acct store.Account, raw []byte, v *sieve.VacationReply) *Outgoing {
	_, _, _, _, _, _ = ctx, m, rcpt, acct, raw, v
	return nil
}
