package webui

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/authguard"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

// The store's temporary failures carry the database's own text (on
// PostgreSQL its address, user and database): a page shows a fixed
// sentence and the log keeps the cause; errors meant for the user (an
// invalid value, a quota) are shown as they are.
func TestStoreOutageTextNotShown(t *testing.T) {
	f := newFixture(t, authguard.Config{})
	secret := "failed to connect to `user=petrel database=mail`: 10.1.2.3:5432"
	for _, tc := range []struct {
		err  error
		show bool
	}{
		// As ops wraps a store error: its cause's text as the message.
		{&ops.Error{Kind: ops.KindUnavailable, Msg: secret, Err: store.Wrap(store.KindTemporary, "deliver", errors.New(secret))}, false},
		{&ops.Error{Kind: ops.KindUnavailable, Msg: secret, Err: store.Wrap(store.KindClosed, "deliver", errors.New(secret))}, false},
		{errors.New(secret), false},
		{&ops.Error{Kind: ops.KindInvalid, Msg: "the name " + secret}, true},
	} {
		rec := httptest.NewRecorder()
		f.ui.fail(rec, "login", &view{Base: AccountPrefix}, tc.err)
		if shown := strings.Contains(rec.Body.String(), "10.1.2.3"); shown != tc.show {
			t.Errorf("%v: shown %t, want %t", tc.err, shown, tc.show)
		}
		if !tc.show && !strings.Contains(rec.Body.String(), opaqueText) {
			t.Errorf("%v: the page lacks %q", tc.err, opaqueText)
		}
	}
	if !strings.Contains(f.logs.String(), "10.1.2.3") {
		t.Error("the cause is not in the log")
	}
}
