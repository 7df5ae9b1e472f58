package sqlite

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// smallDisk mounts a tmpfs of size octets on a new directory and returns
// it; it skips the test without PETREL_HEAVY=1 or where mounting is not
// permitted (not root, no CAP_SYS_ADMIN).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Getenv("PETREL_HEAVY") == "" {
		t.Skip("mounts a small tmpfs; set PETREL_HEAVY=1")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillDisk delivers messages of 300 KiB (body files) and then 20 KiB
// (inline) until the store refuses one, and returns that error and the
// count delivered.
func fillDisk(t *testing.T, e *storeEnv) (int, error) {
	t.Helper()
	n := 0
	var err error
	for _, size := range []int{300 << 10, 20 << 10} {
		for range 2000 {
			if err = e.deliver(size); err != nil {
				break
			}
			n++
		}
	}
	return n, err
}

// On a really full filesystem (an 8 MiB tmpfs): the delivery that does
// not fit fails with KindNoSpace; without a reserve the user cannot even
// expunge; with one, STORE \Deleted and EXPUNGE go through, new mail is
// refused meanwhile, and once the expunge has freed the body files the
// reserve is filled again and mail is accepted.
func TestDiskFullTmpfs(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		reserve int64
	}{{"no reserve", 0}, {"reserve", 1 << 20}} {
		t.Run(c.name, func(t *testing.T) {
			e := openStoreEnv(t, smallDisk(t, "8m"), Options{Reserve: c.reserve})
			n, err := fillDisk(t, e)
			if !store.IsKind(err, store.KindNoSpace) {
				t.Fatalf("delivery %d on a full disk: %v (kind %v), want %v", n+1, err, store.KindOf(err), store.KindNoSpace)
			}
			t.Logf("%s: %d messages delivered, then %v", c.name, n, err)
			uids := make([]store.UID, n)
			for i := range uids {
				uids[i] = store.UID(i + 1)
			}
			_, ferr := e.s.StoreFlags(ctx, e.inbox, uids, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagDeleted})
			gone, xerr := e.s.Expunge(ctx, e.inbox, uids)
			t.Logf("%s: STORE \\Deleted: %v; EXPUNGE: %d removed, %v", c.name, ferr, len(gone), xerr)
			if c.reserve == 0 {
				if xerr == nil {
					t.Skip("the expunge fit without a reserve on this filesystem")
				}
				if !store.IsKind(xerr, store.KindNoSpace) {
					t.Fatalf("expunge on a full disk without reserve: %v, want KindNoSpace", xerr)
				}
				return
			}
			if ferr != nil || xerr != nil || len(gone) != n {
				t.Fatalf("with the reserve: STORE %v, EXPUNGE %d of %d, %v", ferr, len(gone), n, xerr)
			}
			if err := e.deliver(300 << 10); err != nil {
				t.Fatalf("delivery after the expunge freed the disk: %v", err)
			}
			if !e.reserveHeld(t) {
				t.Fatal("the reserve was not filled again once space was back")
			}
		})
	}
}
