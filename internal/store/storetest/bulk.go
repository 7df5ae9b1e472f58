package storetest

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// testBulkRead checks store.BulkReader: the
// messages of the wanted UIDs in order, each with the record Messages
// gives, the metadata Meta gives and (when asked) the body OpenBlob
// gives (without the header fields unless asked for, only the envelope
// when asked for that); expunged and
// unknown UIDs skipped; long runs read in several
// chunks; an error from the callback stops the read.
func testBulkRead(t *testing.T, b Backend) {
	e := newEnv(t, b)
	br := e.s
	a := e.account("alice")
	inbox := e.mailbox(a.ID, "INBOX")
	bodies := map[store.UID][]byte{}
	var uids []store.UID
	add := func(body []byte) {
		u := e.deliver(a.ID, "", body).UID
		bodies[u] = body
		uids = append(uids, u)
	}
	add(msg("first", 200))
	add([]byte("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart\r\n--b--\r\n"))
	add(msg("large", 300<<10)) // over the SQLite backend's inline limit
	add(msg("expunged", 100))
	for i := 0; i < 300; i++ { // more than one chunk of the SQLite backend
		add(msg("many", 100+i))
	}
	if _, err := e.s.StoreFlags(e.ctx, inbox.ID, uids[1:2], store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Expunge(e.ctx, inbox.ID, uids[3:4]); err != nil {
		t.Fatal(err)
	}
	records := map[store.UID]store.Message{}
	for _, m := range e.messages(inbox.ID) {
		records[m.UID] = m
	}
	read := func(want []store.UID, what store.ReadFlags) []store.UID {
		t.Helper()
		var got []store.UID
		err := br.ReadMessages(e.ctx, inbox.ID, want, what, func(d *store.MessageData) error {
			got = append(got, d.UID)
			if !reflect.DeepEqual(d.Message, records[d.UID]) {
				t.Errorf("UID %d: record %+v, Messages gives %+v", d.UID, d.Message, records[d.UID])
			}
			meta, err := e.s.Meta(e.ctx, inbox.ID, d.UID)
			if err == nil && what&store.ReadHeaders == 0 {
				if len(d.Meta.Headers) != 0 {
					t.Errorf("UID %d: header fields without asking", d.UID)
				}
				meta.Headers = nil
			}
			if err == nil && what&(store.ReadEnvelope|store.ReadHeaders) == store.ReadEnvelope {
				// The version and the envelope alone: no structure.
				if d.Meta.Body.Type != "" || len(d.Meta.Body.Children) > 0 {
					t.Errorf("UID %d: the structure (%s) with ReadEnvelope", d.UID, d.Meta.Body.Type)
				}
				meta = &msgmeta.Meta{Version: meta.Version, Envelope: meta.Envelope}
			}
			if err != nil || !reflect.DeepEqual(d.Meta, meta) {
				t.Errorf("UID %d: metadata differs from Meta (%v)", d.UID, err)
			}
			if what&store.ReadBody == 0 {
				if d.Body != nil {
					t.Errorf("UID %d: a body without asking", d.UID)
				}
				return nil
			}
			data, err := io.ReadAll(d.Body)
			if err != nil || !bytes.Equal(data, bodies[d.UID]) || d.Body.Size() != int64(len(data)) {
				t.Errorf("UID %d: body of %d bytes (Size %d, %v), want %d", d.UID, len(data), d.Body.Size(), err, len(bodies[d.UID]))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("ReadMessages: %v", err)
		}
		return got
	}
	live := append(append([]store.UID(nil), uids[:3]...), uids[4:]...)
	if got := read(uids, store.ReadHeaders|store.ReadBody); !reflect.DeepEqual(got, live) {
		t.Errorf("all UIDs: read %v, want %v", got, live)
	}
	sparse := []store.UID{uids[0], uids[2], uids[3], uids[100], uids[len(uids)-1], uids[len(uids)-1] + 1000}
	wantSparse := []store.UID{uids[0], uids[2], uids[100], uids[len(uids)-1]}
	if got := read(sparse, 0); !reflect.DeepEqual(got, wantSparse) {
		t.Errorf("sparse UIDs: read %v, want %v", got, wantSparse)
	}
	if got := read(live[:50], store.ReadBody); !reflect.DeepEqual(got, live[:50]) {
		t.Errorf("bodies without headers: read %v, want %v", got, live[:50])
	}
	if got := read(live[:50], store.ReadEnvelope); !reflect.DeepEqual(got, live[:50]) {
		t.Errorf("envelopes: read %v, want %v", got, live[:50])
	}
	if got := read(nil, store.ReadBody); len(got) != 0 {
		t.Errorf("no UIDs: read %v", got)
	}
	stop := errors.New("stop")
	calls := 0
	err := br.ReadMessages(e.ctx, inbox.ID, uids, store.ReadBody, func(*store.MessageData) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Errorf("callback error: ReadMessages returned %v after %d calls, want the error after 2", err, calls)
	}
	err = br.ReadMessages(e.ctx, 987654, uids, store.ReadBody, func(*store.MessageData) error {
		t.Error("a message of a missing mailbox")
		return nil
	})
	if err != nil {
		t.Errorf("missing mailbox: %v", err)
	}
}
