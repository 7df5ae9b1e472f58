package mailimport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/petrelmail/petrel/internal/store"
)

// Security is how an IMAPSource protects its connection.
type Security int

const (
	// ImplicitTLS is imaps:// (RFC 8314 §3.3).
	ImplicitTLS Security = iota
	// StartTLS is imap:// upgraded with STARTTLS (RFC 9051 §6.2.1); a
	// server that does not offer it is refused.
	StartTLS
	// Plain is imap:// without TLS (--insecure: tests, loopback).
	Plain
)

// IMAPSource reads the folders of an account on a live IMAP server
// (README "Migrating to Petrel"). The client layer is bounded in time
// (every command has a deadline, Timeout) and in memory (the octets a
// command may read are capped: a body by MaxSize, the rest by a budget
// per command, so no literal the server announces can swell the heap).
type IMAPSource struct {
	// Addr is host:port.
	Addr     string
	Security Security
	// TLS verifies the server (RootCAs, ServerName); nil verifies
	// against the system's roots and the host of Addr.
	TLS            *tls.Config
	User, Password string
	// MaxSize bounds a message; a bigger one is skipped and reported
	// (0: 50 MB, delivery.max_message_size's default).
	MaxSize int64
	// Timeout bounds one command (default 2 minutes; a batch of bodies
	// gets it per 4 MiB).
	Timeout time.Duration
	// NoCondStore ignores the server's CONDSTORE: flags are compared
	// for every message (tests; a server whose MODSEQs are wrong).
	NoCondStore bool

	c     *imapclient.Client
	conn  *budgetConn
	caps  imap.CapSet
	delim rune
}

// remoteFolder is a folder the server listed.
type remoteFolder struct {
	name       string // the server's name, UTF-8
	use        store.SpecialUse
	subscribed bool
}

// selected is what SELECT reported.
type selected struct {
	uidValidity, uidNext uint32
	highestModSeq        uint64
	exists               uint32
}

// remoteMessage is what a header FETCH reported of one message.
type remoteMessage struct {
	uid      uint32
	flags    store.Flags
	keywords []string
	date     time.Time
	size     int64
}

// errBudget ends a command whose response grew past its budget.
var errBudget = errors.New("the server sent more than the command can take")

// budgetConn counts the octets a command reads and fails the read that
// goes past the budget (the client then closes the connection).
type budgetConn struct {
	net.Conn
	mu   sync.Mutex
	left int64
}

func (b *budgetConn) Read(p []byte) (int, error) {
	b.mu.Lock()
	left := b.left
	b.mu.Unlock()
	if left <= 0 {
		return 0, errBudget
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.Conn.Read(p)
	b.mu.Lock()
	b.left -= int64(n)
	b.mu.Unlock()
	return n, err
}

func (b *budgetConn) allow(n int64) {
	b.mu.Lock()
	b.left = n
	b.mu.Unlock()
}

// smallBudget is what a command other than a body FETCH may read: a
// LIST of thousands of folders, a FETCH of flags in pages.
const smallBudget = 32 << 20

// run runs one command with a deadline and a read budget: past the
// deadline (or when ctx ends) the connection is closed, which fails the
// command.
func (s *IMAPSource) run(ctx context.Context, budget int64, timeout time.Duration, f func() error) error {
	s.conn.allow(budget)
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	defer stop()
	timer := time.AfterFunc(timeout, func() { s.c.Close() })
	defer timer.Stop()
	err := f()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	select {
	case <-s.c.Closed():
		if err == nil {
			err = errors.New("connection closed")
		}
		return fmt.Errorf("IMAP server %s: %w (deadline %s)", s.Addr, err, timeout)
	default:
	}
	return err
}

func (s *IMAPSource) maxSize() int64 {
	if s.MaxSize <= 0 {
		return 50_000_000
	}
	return s.MaxSize
}

func (s *IMAPSource) timeout() time.Duration {
	if s.Timeout <= 0 {
		return 2 * time.Minute
	}
	return s.Timeout
}

// Dial connects, secures the connection and logs in.
func (s *IMAPSource) Dial(ctx context.Context) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return err
	}
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		cfg = s.TLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
	}
	d := &net.Dialer{Timeout: min(s.timeout(), 30*time.Second)}
	raw, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	if s.Security == ImplicitTLS {
		tc := tls.Client(raw, cfg)
		hctx, cancel := context.WithTimeout(ctx, d.Timeout)
		err = tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return fmt.Errorf("TLS with %s: %w", s.Addr, err)
		}
		raw = tc
	}
	s.conn = &budgetConn{Conn: raw}
	s.conn.allow(smallBudget)
	opts := &imapclient.Options{TLSConfig: cfg}
	if s.Security == StartTLS {
		// NewStartTLS refuses a server without STARTTLS (RFC 9051
		// §6.2.1): the password never goes in clear.
		var c *imapclient.Client
		done := make(chan error, 1)
		go func() {
			var err error
			c, err = imapclient.NewStartTLS(s.conn, opts)
			done <- err
		}()
		select {
		case err = <-done:
		case <-time.After(s.timeout()):
			raw.Close()
			err = <-done
		}
		if err != nil {
			raw.Close()
			return fmt.Errorf("STARTTLS with %s: %w", s.Addr, err)
		}
		s.c = c
	} else {
		s.c = imapclient.New(s.conn, opts)
	}
	err = s.run(ctx, smallBudget, s.timeout(), func() error {
		if err := s.c.WaitGreeting(); err != nil {
			return err
		}
		if err := s.c.Login(s.User, s.Password).Wait(); err != nil {
			return fmt.Errorf("login as %s: %w", s.User, err)
		}
		caps, err := s.c.Capability().Wait()
		if err != nil {
			return err
		}
		s.caps = caps
		if caps.Has(imap.CapUTF8Accept) {
			// Folder names then go in UTF-8 (RFC 6855 §3).
			_, err = s.c.Enable(imap.CapUTF8Accept).Wait()
		}
		return err
	})
	if err != nil {
		s.c.Close()
	}
	return err
}

// Close logs out.
func (s *IMAPSource) Close() error {
	if s.c == nil {
		return nil
	}
	s.run(context.Background(), smallBudget, 5*time.Second, func() error { return s.c.Logout().Wait() })
	return s.c.Close()
}

// condstore reports whether the server has CONDSTORE (RFC 7162).
func (s *IMAPSource) condstore() bool {
	return !s.NoCondStore && (s.caps.Has(imap.CapCondStore) || s.caps.Has(imap.CapQResync))
}

// specialUseOf maps the special-use attributes of LIST (RFC 6154 §2).
var specialUseOf = map[imap.MailboxAttr]store.SpecialUse{
	imap.MailboxAttrAll: store.UseAll, imap.MailboxAttrArchive: store.UseArchive, imap.MailboxAttrDrafts: store.UseDrafts,
	imap.MailboxAttrFlagged: store.UseFlagged, imap.MailboxAttrJunk: store.UseJunk, imap.MailboxAttrSent: store.UseSent,
	imap.MailboxAttrTrash: store.UseTrash,
}

// listsSubscribed reports whether LIST can say which folders are
// subscribed: RETURN (SUBSCRIBED) is LIST-EXTENDED's (RFC 5258 §3), and
// IMAP4rev2's (RFC 9051 §6.3.9).
func (s *IMAPSource) listsSubscribed() bool {
	return s.caps.Has(imap.CapListExtended) || s.caps.Has(imap.CapIMAP4rev2)
}

// list lists every selectable folder (\Noselect and \NonExistent are
// skipped, RFC 9051 §7.3.1) with its special use and, when the server
// can say, whether it is subscribed (the \Subscribed attribute of RETURN
// (SUBSCRIBED), RFC 5258 §3.4).
func (s *IMAPSource) list(ctx context.Context) ([]remoteFolder, error) {
	var out []remoteFolder
	err := s.run(ctx, smallBudget, s.timeout(), func() error {
		opts := &imap.ListOptions{ReturnSpecialUse: s.caps.Has(imap.CapSpecialUse), ReturnSubscribed: s.listsSubscribed()}
		if !opts.ReturnSpecialUse && !opts.ReturnSubscribed {
			opts = nil
		}
		cmd := s.c.List("", "*", opts)
		for d := cmd.Next(); d != nil; d = cmd.Next() {
			if d.Delim != 0 {
				s.delim = d.Delim
			}
			f := remoteFolder{name: d.Mailbox}
			skip := false
			for _, a := range d.Attrs {
				switch {
				case strings.EqualFold(string(a), string(imap.MailboxAttrNoSelect)),
					strings.EqualFold(string(a), string(imap.MailboxAttrNonExistent)):
					skip = true
				case strings.EqualFold(string(a), string(imap.MailboxAttrSubscribed)):
					f.subscribed = true
				case specialUseOf[a] != "":
					f.use = specialUseOf[a]
				}
			}
			if !skip {
				out = append(out, f)
			}
		}
		return cmd.Close()
	})
	return out, err
}

// localName is the Petrel name of a server's folder: the hierarchy
// separated by "/" (store.HierarchySep); a "/" inside a level of a
// server that separates by another character becomes "_".
func (s *IMAPSource) localName(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return store.InboxName
	}
	if s.delim == 0 || s.delim == '/' {
		return name
	}
	parts := strings.Split(name, string(s.delim))
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "/", "_")
	}
	return strings.Join(parts, "/")
}

// selectFolder selects a folder read-only (EXAMINE, with CONDSTORE when
// the server has it: RFC 7162 §3.1.8).
func (s *IMAPSource) selectFolder(ctx context.Context, name string) (selected, error) {
	var sel selected
	err := s.run(ctx, smallBudget, s.timeout(), func() error {
		d, err := s.c.Select(name, &imap.SelectOptions{ReadOnly: true, CondStore: s.condstore()}).Wait()
		if err != nil {
			return err
		}
		sel = selected{uidValidity: d.UIDValidity, uidNext: uint32(d.UIDNext), highestModSeq: d.HighestModSeq,
			exists: d.NumMessages}
		if sel.uidValidity == 0 {
			return fmt.Errorf("folder %s has no UIDVALIDITY", name)
		}
		return nil
	})
	return sel, err
}

// headerPage is how many messages one header FETCH covers (UIDs).
const headerPage = 5000

// headers fetches the UID, flags, INTERNALDATE and size of the messages
// with a UID in [from, to] (to 0: no bound), changed since modseq when
// it is not 0 (RFC 7162 §3.1.4.1), page by page of UIDs so that a
// command's response stays small; fn sees them in the server's order.
func (s *IMAPSource) headers(ctx context.Context, from, to uint32, modseq uint64, next uint32,
	fn func(remoteMessage) error) error {
	if to == 0 {
		to = max(next, 1) - 1
		if next == 0 {
			// No UIDNEXT in the SELECT answer (RFC 3501 requires it,
			// some servers omit it): every UID there may be.
			to = ^uint32(0)
		}
	}
	for lo := max(from, 1); lo <= to && lo != 0; lo += headerPage {
		hi := min(to, lo+headerPage-1)
		if hi < lo || next == 0 { // overflow, or no UIDNEXT: all at once
			hi = to
		}
		var msgs []remoteMessage
		err := s.run(ctx, smallBudget, s.timeout(), func() error {
			var set imap.UIDSet
			if hi == ^uint32(0) {
				set.AddRange(imap.UID(lo), 0) // lo:*
			} else {
				set.AddRange(imap.UID(lo), imap.UID(hi))
			}
			cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true,
				ChangedSince: modseq})
			for m := cmd.Next(); m != nil; m = cmd.Next() {
				buf, err := m.Collect()
				if err != nil {
					return err
				}
				if buf.UID == 0 {
					continue
				}
				rm := remoteMessage{uid: uint32(buf.UID), date: buf.InternalDate, size: buf.RFC822Size}
				rm.flags, rm.keywords = flagsOf(buf.Flags)
				msgs = append(msgs, rm)
			}
			return cmd.Close()
		})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := fn(m); err != nil {
				return err
			}
		}
		if hi == to {
			break
		}
	}
	return nil
}

// flagsOf splits IMAP flags into system flags and keywords; \Recent
// and other unknown system flags are dropped (RFC 9051 §2.3.2).
func flagsOf(fl []imap.Flag) (store.Flags, []string) {
	var f store.Flags
	var kws []string
	for _, x := range fl {
		if sf, ok := store.SystemFlagNamed(string(x)); ok {
			f |= sf
		} else if !strings.HasPrefix(string(x), `\`) {
			kws = append(kws, string(x))
		}
	}
	return f, kws
}

// bodies fetches the bodies of msgs (BODY.PEEK[], which sets no \Seen:
// RFC 9051 §6.4.5) in one command and calls fn with each; a body is
// read to at most MaxSize octets, past which the message is reported
// too big.
func (s *IMAPSource) bodies(ctx context.Context, msgs []remoteMessage, fn func(uid uint32, body []byte, tooBig bool) error) error {
	if len(msgs) == 0 {
		return nil
	}
	var set imap.UIDSet
	var total int64
	for _, m := range msgs {
		set.AddNum(imap.UID(m.uid))
		total += m.size
	}
	budget := total + int64(len(msgs))*4096 + 1<<20
	timeout := s.timeout() * time.Duration(1+total/(4<<20))
	return s.run(ctx, budget, timeout, func() error {
		cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			var uid uint32
			var body []byte
			tooBig := false
			for item := m.Next(); item != nil; item = m.Next() {
				switch it := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = uint32(it.UID)
				case imapclient.FetchItemDataBodySection:
					if it.Literal == nil {
						continue
					}
					if it.Literal.Size() > s.maxSize() {
						tooBig = true
						continue
					}
					b, err := io.ReadAll(io.LimitReader(it.Literal, s.maxSize()))
					if err != nil {
						return err
					}
					body = b
				}
			}
			if uid == 0 || body == nil && !tooBig {
				continue // expunged meanwhile, or an answer without the body
			}
			if err := fn(uid, body, tooBig); err != nil {
				return err
			}
		}
		return cmd.Close()
	})
}

// uids lists the UIDs of the selected folder up to last (UID SEARCH,
// RFC 9051 §6.4.4), ascending.
func (s *IMAPSource) uids(ctx context.Context, last uint32) ([]uint32, error) {
	var out []uint32
	if last == 0 {
		return nil, nil
	}
	err := s.run(ctx, smallBudget, s.timeout(), func() error {
		var set imap.UIDSet
		set.AddRange(1, imap.UID(last))
		d, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
		if err != nil {
			return err
		}
		for _, u := range d.AllUIDs() {
			out = append(out, uint32(u))
		}
		slices.Sort(out)
		return nil
	})
	return out, err
}
