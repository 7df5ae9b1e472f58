package storecopy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// mailboxCopy is the copy of one mailbox's messages.
type mailboxCopy struct {
	c       *copier
	account store.AccountID // in the destination
	from    store.MailboxID // in the source
	to      store.MailboxID // in the destination

	batch      []store.ImportMessage
	batchBytes int64
	added      int64
	present    int64
}

// mailbox copies one mailbox: its identity, its messages a page at a
// time (skipping the UIDs the destination holds), its expunge log and its
// \Recent boundary.
func (c *copier) mailbox(ctx context.Context, addr string, account store.AccountID, mb store.Mailbox) error {
	dmb, err := c.dst.ImportMailbox(ctx, account, mb)
	if err != nil {
		return err
	}
	m := &mailboxCopy{c: c, account: account, from: mb.ID, to: dmb.ID}
	start, last := time.Now(), time.Now()
	for after := store.UID(0); ; {
		page, err := c.src.ListMessages(ctx, mb.ID, after, c.opts.PageSize)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		if err := m.page(ctx, page); err != nil {
			return err
		}
		after = page[len(page)-1].UID
		if time.Since(last) >= c.opts.ProgressEvery {
			last = time.Now()
			fmt.Fprintf(c.opts.Progress, "%s %s: %d of %d messages (%s)\n", addr, mb.Name,
				m.added+m.present, mb.Messages, rate(m.added, time.Since(start)))
		}
	}
	if err := m.expungeLog(ctx); err != nil {
		return err
	}
	recent, err := c.src.RecentUID(ctx, mb.ID)
	if err == nil && recent > 0 {
		_, err = c.dst.ClaimRecent(ctx, dmb.ID, recent)
	}
	if err != nil {
		return err
	}
	c.rep.Added += m.added
	c.rep.Present += m.present
	fmt.Fprintf(c.opts.Progress, "%s %s: %d messages, %d copied, %d there already (%s)\n", addr, mb.Name,
		m.added+m.present, m.added, m.present, rate(m.added, time.Since(start)))
	return nil
}

func rate(n int64, d time.Duration) string {
	if n == 0 || d <= 0 {
		return "nothing copied"
	}
	return fmt.Sprintf("%.0f msg/s", float64(n)/d.Seconds())
}

// page copies the messages of one page that the destination lacks.
func (m *mailboxCopy) page(ctx context.Context, page []store.Message) error {
	have, err := m.c.dst.Messages(ctx, m.to, page[0].UID, page[len(page)-1].UID)
	if err != nil {
		return err
	}
	held := make(map[store.UID]bool, len(have))
	for _, h := range have {
		held[h.UID] = true
	}
	var want []store.UID
	for _, p := range page {
		if held[p.UID] {
			m.present++
		} else {
			want = append(want, p.UID)
		}
	}
	if len(want) == 0 {
		return nil
	}
	err = m.c.src.ReadMessages(ctx, m.from, want, store.ReadHeaders|store.ReadBody, func(d *store.MessageData) error {
		return m.add(ctx, d)
	})
	if err != nil {
		return err
	}
	return m.flush(ctx)
}

// add adds one message to the batch, buffering its body; a large body is
// imported alone, streamed, while the source's blob is open.
func (m *mailboxCopy) add(ctx context.Context, d *store.MessageData) error {
	im := store.ImportMessage{UID: d.UID, ModSeq: d.ModSeq, Flags: d.Flags, Keywords: d.Keywords,
		InternalDate: d.InternalDate, EmailID: d.EmailID, ThreadID: d.ThreadID, SaveDate: d.SaveDate, Meta: d.Meta}
	if d.Body.Size() > m.c.opts.StreamAbove {
		if err := m.flush(ctx); err != nil {
			return err
		}
		im.Body = d.Body
		return m.importBatch(ctx, []store.ImportMessage{im})
	}
	body := make([]byte, d.Body.Size())
	if _, err := io.ReadFull(d.Body, body); err != nil {
		return fmt.Errorf("UID %d: reading the body: %w", d.UID, err)
	}
	im.Body = bytes.NewReader(body)
	m.batch = append(m.batch, im)
	m.batchBytes += int64(len(body))
	if len(m.batch) >= m.c.opts.BatchMessages || m.batchBytes >= m.c.opts.BatchBytes {
		return m.flush(ctx)
	}
	return nil
}

func (m *mailboxCopy) flush(ctx context.Context) error {
	if len(m.batch) == 0 {
		return nil
	}
	err := m.importBatch(ctx, m.batch)
	clear(m.batch) // drop the bodies and metadata
	m.batch, m.batchBytes = m.batch[:0], 0
	return err
}

func (m *mailboxCopy) importBatch(ctx context.Context, msgs []store.ImportMessage) error {
	res, err := m.c.dst.ImportMessages(ctx, m.account, m.to, msgs)
	if err != nil {
		return fmt.Errorf("importing UIDs %d-%d: %w", msgs[0].UID, msgs[len(msgs)-1].UID, err)
	}
	m.added += int64(res.Added)
	m.present += int64(res.Present)
	return nil
}

// expungeLog copies the mailbox's expunge log, a page at a time.
func (m *mailboxCopy) expungeLog(ctx context.Context) error {
	for after := store.UID(0); ; {
		log, err := m.c.src.ExpungeLog(ctx, m.from, after, m.c.opts.PageSize)
		if err != nil || len(log) == 0 {
			return err
		}
		if err := m.c.dst.ImportExpunged(ctx, m.to, log); err != nil {
			return err
		}
		after = log[len(log)-1].UID
	}
}
