package ops

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func TestWrapStoreErrors(t *testing.T) {
	for _, tc := range []struct {
		kind store.Kind
		want Kind
	}{
		{store.KindNotFound, KindNotFound}, {store.KindExists, KindExists}, {store.KindInvalid, KindInvalid},
		{store.KindTemporary, KindUnavailable}, {store.KindNoSpace, KindUnavailable}, {store.KindClosed, KindUnavailable},
		{store.KindInternal, KindInternal},
	} {
		err := wrap(fmt.Errorf("context: %w", store.Errorf(tc.kind, "add user", "no account has %q", "x@example.org")))
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.want || e.Msg != `no account has "x@example.org"` {
			t.Errorf("store %s: %#v, want kind %s and the cause's text", tc.kind, err, tc.want)
		}
		if !store.IsKind(err, tc.kind) {
			t.Errorf("store %s: the store error is not kept as the cause", tc.kind)
		}
	}
	if err := wrap(store.Wrap(store.KindClosed, "op", nil)); err != nil {
		t.Errorf("wrap of no error: %v", err)
	}
	if err := wrap(&store.Error{Kind: store.KindClosed, Op: "op"}); err.Error() != "closed" || KindOf(err) != KindUnavailable {
		t.Errorf("store error without a cause: %q, %s", err, KindOf(err))
	}
	if err := wrap(errors.New("disk on fire")); KindOf(err) != KindInternal || err.Error() != "disk on fire" {
		t.Errorf("plain error: %s %q", KindOf(err), err)
	}
	if wrap(nil) != nil {
		t.Error("wrap(nil) is not nil")
	}
}

func TestHTTPStatus(t *testing.T) {
	for k, want := range map[Kind]int{
		KindInvalid: http.StatusBadRequest, KindNotFound: http.StatusNotFound, KindExists: http.StatusConflict,
		KindUnavailable: http.StatusServiceUnavailable, KindInternal: http.StatusInternalServerError, Kind(99): 500,
	} {
		if got := k.HTTPStatus(); got != want {
			t.Errorf("%s: %d, want %d", k, got, want)
		}
	}
}
