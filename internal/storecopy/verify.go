package storecopy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// MailboxSum is the verification of one mailbox: its message count and
// checksum on each side. The checksum is a SHA-256 over every message in
// UID order: UID, MODSEQ, flags, keywords, internal date and zone,
// EmailID, ThreadID, size and the SHA-256 of the body.
type MailboxSum struct {
	Account, Mailbox string
	UIDValidity      uint32
	Messages         int64 // in the source
	DestMessages     int64
	Source, Dest     string // hex checksums
	// Problem says what differs; "" when the mailbox is the same.
	Problem string
}

// Verify compares src and dst as Copy leaves them: the domains, aliases,
// accounts (password hash, quota limits, addresses, subscriptions), every
// mailbox's identity (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ), message count,
// checksum and expunge log, the access rights, the queue and the
// key/value entries. It
// prints a line per mailbox to opts.Progress and returns an error naming
// the differences, if any.
func Verify(ctx context.Context, src, dst store.Store, opts Options) ([]MailboxSum, error) {
	opts.defaults()
	v := &verifier{src: src, dst: dst, opts: opts}
	if err := v.run(ctx); err != nil {
		return v.sums, err
	}
	if len(v.problems) > 0 {
		return v.sums, fmt.Errorf("the copy differs from the source in %d places: %s", len(v.problems),
			strings.Join(v.problems[:min(len(v.problems), 5)], "; "))
	}
	return v.sums, nil
}

type verifier struct {
	src      store.Store
	dst      store.Store
	opts     Options
	sums     []MailboxSum
	problems []string
}

func (v *verifier) differ(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

// same compares one read of both sides.
func same[T comparable](v *verifier, what string, a, b T) {
	if a != b {
		v.differ("%s: %v in the source, %v in the copy", what, a, b)
	}
}

func (v *verifier) run(ctx context.Context) error {
	for _, read := range []func(store.Store) (string, error){
		func(s store.Store) (string, error) {
			d, err := s.Domains(ctx)
			return "domains: " + strings.Join(d, " "), err
		},
		func(s store.Store) (string, error) { return aliasesText(ctx, s) },
		func(s store.Store) (string, error) { return queueText(ctx, s) },
		func(s store.Store) (string, error) { return kvText(ctx, s) },
		func(s store.Store) (string, error) { return aclText(ctx, s) },
	} {
		a, err := read(v.src)
		if err != nil {
			return err
		}
		b, err := read(v.dst)
		if err != nil {
			return err
		}
		same(v, strings.SplitN(a, ":", 2)[0], a, b)
	}
	accts, err := v.src.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accts {
		if err := v.account(ctx, a); err != nil {
			return fmt.Errorf("verifying %s: %w", a.Address, err)
		}
	}
	return nil
}

func (v *verifier) account(ctx context.Context, a store.Account) error {
	id, err := v.dst.LookupAddress(ctx, a.Address)
	if store.IsKind(err, store.KindNotFound) {
		v.differ("account %s is missing in the copy", a.Address)
		return nil
	}
	if err != nil {
		return err
	}
	d, err := v.dst.Account(ctx, id)
	if err != nil {
		return err
	}
	same(v, a.Address+" password hash", a.PasswordHash == d.PasswordHash, true)
	same(v, a.Address+" quota", a.Quota, d.Quota)
	for _, read := range []func(store.Store, store.AccountID) ([]string, error){
		func(s store.Store, id store.AccountID) ([]string, error) { return s.Addresses(ctx, id) },
		func(s store.Store, id store.AccountID) ([]string, error) { return s.Subscriptions(ctx, id) },
	} {
		x, err := read(v.src, a.ID)
		if err != nil {
			return err
		}
		y, err := read(v.dst, id)
		if err != nil {
			return err
		}
		same(v, a.Address+" addresses/subscriptions", strings.Join(x, " "), strings.Join(y, " "))
	}
	mbs, err := v.src.Mailboxes(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, mb := range mbs {
		if err := v.mailbox(ctx, a.Address, id, mb); err != nil {
			return fmt.Errorf("mailbox %s: %w", mb.Name, err)
		}
	}
	return nil
}

func (v *verifier) mailbox(ctx context.Context, addr string, account store.AccountID, mb store.Mailbox) error {
	s := MailboxSum{Account: addr, Mailbox: mb.Name, UIDValidity: mb.UIDValidity}
	dmb, err := v.dst.Mailbox(ctx, account, mb.Name)
	if store.IsKind(err, store.KindNotFound) {
		s.Problem = "missing in the copy"
	} else if err != nil {
		return err
	}
	if s.Messages, s.Source, err = mailboxSum(ctx, v.src, mb.ID, v.opts.PageSize, nil); err != nil {
		return err
	}
	if s.Problem == "" {
		if s.DestMessages, s.Dest, err = mailboxSum(ctx, v.dst, dmb.ID, v.opts.PageSize, nil); err != nil {
			return err
		}
		a, b := [3]uint64{uint64(mb.UIDValidity), uint64(mb.UIDNext), uint64(mb.HighestModSeq)},
			[3]uint64{uint64(dmb.UIDValidity), uint64(dmb.UIDNext), uint64(dmb.HighestModSeq)}
		ea, err := expungeSum(ctx, v.src, mb.ID, v.opts.PageSize)
		if err != nil {
			return err
		}
		eb, err := expungeSum(ctx, v.dst, dmb.ID, v.opts.PageSize)
		if err != nil {
			return err
		}
		switch {
		case a != b:
			s.Problem = fmt.Sprintf("UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ %v in the source, %v in the copy", a, b)
		case s.Messages != s.DestMessages || s.Source != s.Dest:
			s.Problem = "messages differ"
		case ea != eb:
			s.Problem = "expunge logs differ"
		}
	}
	if s.Problem != "" {
		v.differ("%s %s: %s", addr, mb.Name, s.Problem)
	}
	v.sums = append(v.sums, s)
	status := "same"
	if s.Problem != "" {
		status = "DIFFERENT: " + s.Problem
	}
	fmt.Fprintf(v.opts.Progress, "verified %s %s: UIDVALIDITY %d, %d/%d messages, sha256 %.16s/%.16s: %s\n",
		addr, mb.Name, mb.UIDValidity, s.Messages, s.DestMessages, s.Source, s.Dest, status)
	return nil
}

// mailboxSum counts and checksums one mailbox's messages (MailboxSum), a
// page at a time; sums, when not nil, gives the SHA-256 of the bodies it
// knows (those are not read) and is told every message's.
func mailboxSum(ctx context.Context, s store.Store, mb store.MailboxID, pageSize int, sums BodySums) (int64, string, error) {
	h := sha256.New()
	var n int64
	for after := store.UID(0); ; {
		page, err := s.ListMessages(ctx, mb, after, pageSize)
		if err != nil {
			return 0, "", err
		}
		if len(page) == 0 {
			return n, hex.EncodeToString(h.Sum(nil)), nil
		}
		bodies := make([][]byte, len(page))
		var read []int // the messages of page whose body is read
		for i := range page {
			if sums != nil {
				if sum, ok := sums.Lookup(&page[i]); ok {
					bodies[i] = sum
					continue
				}
			}
			read = append(read, i)
		}
		if err := readBodySums(ctx, s, mb, page, read, bodies); err != nil {
			return 0, "", err
		}
		for i := range page {
			n++
			sumMessage(h, &page[i], bodies[i])
			if sums != nil {
				if err := sums.Keep(&page[i], bodies[i]); err != nil {
					return 0, "", err
				}
			}
		}
		after = page[len(page)-1].UID
	}
}

// readBodySums reads the bodies of page[i] for i in read and puts their
// SHA-256 in bodies[i], and what the read returned in page[i].
func readBodySums(ctx context.Context, s store.Store, mb store.MailboxID, page []store.Message, read []int, bodies [][]byte) error {
	if len(read) == 0 {
		return nil
	}
	uids := make([]store.UID, len(read))
	for j, i := range read {
		uids[j] = page[i].UID
	}
	var at int
	err := s.ReadMessages(ctx, mb, uids, store.ReadBody, func(d *store.MessageData) error {
		if at >= len(uids) || d.UID != uids[at] {
			return errExpungedMeanwhile
		}
		b := sha256.New()
		if _, err := io.Copy(b, d.Body); err != nil {
			return err
		}
		i := read[at]
		page[i] = d.Message
		page[i].Keywords = slices.Clone(d.Keywords)
		bodies[i] = b.Sum(nil)
		at++
		return nil
	})
	if err == nil && at != len(uids) {
		err = errExpungedMeanwhile
	}
	return err
}

var errExpungedMeanwhile = errors.New("a message was expunged during the verification")

// sumMessage adds one message's line to the mailbox's checksum.
func sumMessage(h hash.Hash, m *store.Message, body []byte) {
	_, zone := m.InternalDate.Zone()
	fmt.Fprintf(h, "%d %d %d %s %d %d %d %d %d %x\n", m.UID, m.ModSeq, m.Flags, strings.Join(m.Keywords, " "),
		m.InternalDate.Unix(), zone, m.EmailID, m.ThreadID, m.Size, body)
}

// expungeSum checksums a mailbox's expunge log.
func expungeSum(ctx context.Context, s store.Store, mb store.MailboxID, pageSize int) (string, error) {
	h := sha256.New()
	for after := store.UID(0); ; {
		log, err := s.ExpungeLog(ctx, mb, after, pageSize)
		if err != nil || len(log) == 0 {
			return hex.EncodeToString(h.Sum(nil)), err
		}
		for _, e := range log {
			fmt.Fprintf(h, "%d %d\n", e.UID, e.ModSeq)
		}
		after = log[len(log)-1].UID
	}
}

func aliasesText(ctx context.Context, s store.Store) (string, error) {
	al, err := s.Aliases(ctx)
	var b strings.Builder
	b.WriteString("aliases:")
	for _, k := range slices.Sorted(maps.Keys(al)) {
		fmt.Fprintf(&b, " %s=%s", k, strings.Join(al[k], ","))
	}
	return b.String(), err
}

// queueText describes the queue: IDs, senders, TLS demands, and each
// recipient's state and attempts.
func queueText(ctx context.Context, s store.Store) (string, error) {
	qs, err := s.QueuedMessages(ctx)
	var b strings.Builder
	b.WriteString("queue:")
	for _, q := range qs {
		fmt.Fprintf(&b, " %s<%s>%d", q.ID, q.From, q.Size)
		if q.RequireTLS || q.TLSOptional { // RFC 8689
			fmt.Fprintf(&b, "/requiretls=%v/tlsoptional=%v", q.RequireTLS, q.TLSOptional)
		}
		for _, r := range q.Rcpts {
			fmt.Fprintf(&b, ",%s/%s/%d/%d", r.Addr, r.State, r.Attempts, r.NextAttempt.Unix())
		}
	}
	return b.String(), err
}

// kvText describes the key/value entries (but the copy marker): keys and
// the SHA-256 of their values.
func kvText(ctx context.Context, s store.Store) (string, error) {
	infos, err := s.KVList(ctx, "")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("key/value entries:")
	for _, info := range infos {
		if info.Key == MarkerKey {
			continue
		}
		v, err := s.KVLoad(ctx, info.Key)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " %s=%x", info.Key, sha256.Sum256(v))
	}
	return b.String(), nil
}
