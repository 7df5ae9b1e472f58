package accounts

import (
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

func TestQuota(t *testing.T) {
	f := newFixture(t, Options{})
	f.user("carol@example.org")
	f.extra("carol@example.org", "c@example.org")
	if err := f.svc.SetQuota(f.ctx, "C@example.org", 1<<20, 500); err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.Quota(f.ctx, "carol@example.org")
	if err != nil || q.MaxBytes != 1<<20 || q.MaxMessages != 500 {
		t.Fatalf("Quota = %+v, %v", q, err)
	}
	wantErr(t, "negative", f.svc.SetQuota(f.ctx, "carol@example.org", -1, 0), store.KindInvalid)
	wantErr(t, "unknown user", f.svc.SetQuota(f.ctx, "nobody@example.org", 1, 1), store.KindNotFound)
}
