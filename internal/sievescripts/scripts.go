package sievescripts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/store"
)

// MaxScripts bounds the scripts of one account.
const MaxScripts = 32

// MaxNameLen bounds a script name, in octets.
const MaxNameLen = 128

// Errors that the callers map to their replies.
var (
	ErrBadName    = errors.New("script names are 1 to 128 octets of UTF-8 without / or control characters")
	ErrNotFound   = errors.New("no such script")
	ErrActive     = errors.New("the active script cannot be deleted; deactivate it first")
	ErrExists     = errors.New("a script of that name exists")
	ErrTooMany    = fmt.Errorf("at most %d scripts per account", MaxScripts)
	errNotCompile = errors.New("script does not compile")
)

// Scripts keeps the scripts of accounts.
type Scripts struct {
	kv    store.KV
	lim   sieve.Limits
	cache *sieve.Cache
}

// New keeps scripts in kv; lim bounds what each may cost.
func New(kv store.KV, lim sieve.Limits) *Scripts {
	return &Scripts{kv: kv, lim: lim, cache: sieve.NewCache(lim, 1024)}
}

// Info describes one stored script.
type Info struct {
	Name   string
	Active bool
	Size   int
}

func prefix(addr string) string { return "sieve/" + url.PathEscape(strings.ToLower(addr)) + "/" }

func scriptKey(addr, name string) string { return prefix(addr) + "script/" + name }

func activeKey(addr string) string { return prefix(addr) + "active" }

func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen || !utf8.ValidString(name) || strings.ContainsAny(name, "/") ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ErrBadName
	}
	return nil
}

// Check compiles src as Put would; the error is a *sieve.Error with the
// line and column when the script is wrong.
func (s *Scripts) Check(src []byte) error {
	_, err := sieve.Compile(src, s.lim)
	return err
}

// Put stores (or replaces) the script name of the account addr after
// compiling it; a script that does not compile is refused with the
// compiler's error and nothing is stored.
func (s *Scripts) Put(ctx context.Context, addr, name string, src []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := s.Check(src); err != nil {
		return err
	}
	have, err := s.List(ctx, addr)
	if err != nil {
		return err
	}
	if len(have) >= MaxScripts && !slices.ContainsFunc(have, func(i Info) bool { return i.Name == name }) {
		return ErrTooMany
	}
	return s.kv.KVStore(ctx, scriptKey(addr, name), src)
}

// Get returns the source of a script.
func (s *Scripts) Get(ctx context.Context, addr, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	src, err := s.kv.KVLoad(ctx, scriptKey(addr, name))
	if store.IsKind(err, store.KindNotFound) {
		return nil, ErrNotFound
	}
	return src, err
}

// List describes the account's scripts, sorted by name.
func (s *Scripts) List(ctx context.Context, addr string) ([]Info, error) {
	keys, err := s.kv.KVList(ctx, prefix(addr)+"script/")
	if err != nil {
		return nil, err
	}
	active, err := s.activeName(ctx, addr)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(keys))
	for _, k := range keys {
		name := strings.TrimPrefix(k.Key, prefix(addr)+"script/")
		out = append(out, Info{Name: name, Active: name == active, Size: int(k.Size)})
	}
	return out, nil
}

func (s *Scripts) activeName(ctx context.Context, addr string) (string, error) {
	v, err := s.kv.KVLoad(ctx, activeKey(addr))
	if store.IsKind(err, store.KindNotFound) {
		return "", nil
	}
	return string(v), err
}

// Activate makes name the account's active script; "" deactivates
// whichever is active.
func (s *Scripts) Activate(ctx context.Context, addr, name string) error {
	if name == "" {
		err := s.kv.KVDelete(ctx, activeKey(addr))
		if store.IsKind(err, store.KindNotFound) {
			return nil
		}
		return err
	}
	if _, err := s.Get(ctx, addr, name); err != nil {
		return err
	}
	return s.kv.KVStore(ctx, activeKey(addr), []byte(name))
}

// Delete removes a script that is not active.
func (s *Scripts) Delete(ctx context.Context, addr, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	active, err := s.activeName(ctx, addr)
	if err != nil {
		return err
	}
	if active == name {
		return ErrActive
	}
	err = s.kv.KVDelete(ctx, scriptKey(addr, name))
	if store.IsKind(err, store.KindNotFound) {
		return ErrNotFound
	}
	return err
}

// Rename gives the script from the name to; the active script stays
// active under its new name (RFC 5804 §2.11). The new copy is stored
// before the old one is removed, so a failure in between leaves both,
// never neither.
func (s *Scripts) Rename(ctx context.Context, addr, from, to string) error {
	if err := checkName(to); err != nil {
		return err
	}
	src, err := s.Get(ctx, addr, from)
	if err != nil {
		return err
	}
	if from == to {
		return nil
	}
	switch _, err := s.kv.KVLoad(ctx, scriptKey(addr, to)); {
	case err == nil:
		return ErrExists
	case !store.IsKind(err, store.KindNotFound):
		return err
	}
	if err := s.kv.KVStore(ctx, scriptKey(addr, to), src); err != nil {
		return err
	}
	active, err := s.activeName(ctx, addr)
	if err != nil {
		return err
	}
	if active == from {
		if err := s.kv.KVStore(ctx, activeKey(addr), []byte(to)); err != nil {
			return err
		}
	}
	return s.kv.KVDelete(ctx, scriptKey(addr, from))
}

// Active returns the account's active script, compiled (once per
// source); nil and no error when none is active.
func (s *Scripts) Active(ctx context.Context, addr string) (*sieve.Script, error) {
	l, err := s.Load(ctx, addr)
	if err != nil {
		return nil, err
	}
	if l.Err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errNotCompile, l.Name, l.Err)
	}
	return l.Script, nil
}

// Loaded is an account's active script as delivery runs it.
type Loaded struct {
	Name string // "" when no script is active
	// Hash identifies the source (hex SHA-256): a change of script is a
	// change of hash.
	Hash   string
	Script *sieve.Script
	// Err is the compiler's error (*sieve.Error, line and column) when the
	// stored source no longer compiles (limits changed, a newer version).
	Err error
}

// Load returns the account's active script, compiled once per source.
// A script that does not compile is returned with its Err, not as the
// error, which is the store's.
func (s *Scripts) Load(ctx context.Context, addr string) (Loaded, error) {
	name, err := s.activeName(ctx, addr)
	if err != nil || name == "" {
		return Loaded{}, err
	}
	src, err := s.kv.KVLoad(ctx, scriptKey(addr, name))
	if store.IsKind(err, store.KindNotFound) {
		return Loaded{}, nil // deleted behind the active mark: none
	}
	if err != nil {
		return Loaded{}, err
	}
	sum := sha256.Sum256(src)
	l := Loaded{Name: name, Hash: hex.EncodeToString(sum[:])}
	l.Script, l.Err = s.cache.Get(src)
	return l, nil
}

// Include is a personal script of the account addr for include (RFC
// 6609 §3.2: a name without :global), compiled.
func (s *Scripts) Include(ctx context.Context, addr, name string) (*sieve.Script, error) {
	src, err := s.Get(ctx, addr, name)
	if err != nil {
		return nil, err
	}
	return s.cache.Get(src)
}
