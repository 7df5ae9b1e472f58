package admin

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestControlUnlock(t *testing.T) {
	dir, err := os.MkdirTemp("", "ctl") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	if _, err := Unlock(ctx, dir, "a@example.org", ""); !errors.Is(err, ErrNoServer) {
		t.Fatalf("no server: %v", err)
	}
	var unlocked []string
	var unblocked []netip.Addr
	l, err := ListenControl(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, ControlSocketName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, %v; want 0600", fi.Mode(), err)
	}
	srv := NewServer(ControlHandler(ControlOptions{
		Unlock:        func(a string) bool { unlocked = append(unlocked, a); return true },
		UnblockClient: func(ip netip.Addr) bool { unblocked = append(unblocked, ip); return false },
	}), nil)
	srv.Serve(l)
	defer srv.Shutdown(ctx)

	res, err := Unlock(ctx, dir, "a@example.org", "192.0.2.1")
	if err != nil || !res.Account || res.Client {
		t.Fatalf("unlock: %+v, %v", res, err)
	}
	if len(unlocked) != 1 || unlocked[0] != "a@example.org" || len(unblocked) != 1 || unblocked[0] != netip.MustParseAddr("192.0.2.1") {
		t.Fatalf("calls: %q %v", unlocked, unblocked)
	}
	if _, err := Unlock(ctx, dir, "a@example.org", "not-an-ip"); err == nil {
		t.Fatal("a bad client address was accepted")
	}
	if _, err := Unlock(ctx, dir, "", ""); err == nil {
		t.Fatal("an empty request was accepted")
	}
	if len(unlocked) != 1 {
		t.Fatalf("refused requests unlocked %q", unlocked)
	}
	// A stale socket (a server that died) is replaced.
	l2, err := ListenControl(dir)
	if err != nil {
		t.Fatalf("replacing the socket: %v", err)
	}
	l2.Close()
}
