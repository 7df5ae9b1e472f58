package rspamd

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// memBlobs is a MessageReader over bodies in memory, keyed by UID in
// mailbox 7.
type memBlobs map[store.UID]string

func (m memBlobs) Messages(_ context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.Message, error) {
	var out []store.Message
	for uid := from; uid <= to; uid++ {
		if _, ok := m[uid]; ok && mailbox == 7 {
			out = append(out, store.Message{Mailbox: mailbox, UID: uid, Blob: store.BlobID(uid)})
		}
	}
	return out, nil
}

type memBlob struct{ *bytes.Reader }

func (memBlob) Close() error { return nil }

func (m memBlobs) OpenBlob(_ context.Context, b store.BlobID) (store.Blob, error) {
	return memBlob{bytes.NewReader([]byte(m[store.UID(b)]))}, nil
}

// learnCall is one request the fake controller got.
type learnCall struct{ path, user, password, body string }

// TestLearner: the messages of a report that are still there are posted
// to /learnspam or /learnham with the account as Deliver-To and the
// password; Report returns at once, also when the controller hangs and
// the backlog is full (the reports beyond it are dropped).
func TestLearner(t *testing.T) {
	var mu sync.Mutex
	var calls []learnCall
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, learnCall{r.URL.Path, r.Header.Get("Deliver-To"), r.Header.Get("Password"), string(b)})
		mu.Unlock()
		if string(b) == "hang" {
			<-release
		}
		io.WriteString(w, `{"success":true}`)
	}))
	defer srv.Close()
	blobs := memBlobs{1: "one", 2: "two", 3: "hang"}
	l := NewLearner(Config{ControllerURL: srv.URL, Password: "pw", Timeout: 10 * time.Second}, blobs, nil, nil)
	defer l.Close()
	l.Report("alice@example.org", 7, []store.UID{2, 1, 9}, true) // 9 is gone
	l.Report("alice@example.org", 7, []store.UID{1}, false)
	want := []learnCall{{"/learnspam", "alice@example.org", "pw", "one"}, {"/learnspam", "alice@example.org", "pw", "two"},
		{"/learnham", "alice@example.org", "pw", "one"}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	got := append([]learnCall(nil), calls...)
	mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("calls %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// The controller hangs on message 3: the reports pile up, and
	// Report never waits.
	start := time.Now()
	for range learnBacklog + 50 {
		l.Report("alice@example.org", 7, []store.UID{3}, true)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("%d reports took %v with the controller hanging", learnBacklog+50, d)
	}
	close(release)
}
