package accounts

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// fakeDir is an in-memory Directory with the semantics store.Directory
// documents: it stores what it is given and enforces uniqueness.
type fakeDir struct {
	mu       sync.Mutex
	domains  map[string]bool
	accounts map[store.AccountID]store.Account
	owner    map[string]store.AccountID // primary and extra addresses
	aliases  map[string][]string
	kv       map[string][]byte
	nextID   store.AccountID
}

func newFakeDir() *fakeDir {
	return &fakeDir{
		domains:  map[string]bool{},
		accounts: map[store.AccountID]store.Account{},
		owner:    map[string]store.AccountID{},
		aliases:  map[string][]string{},
	}
}

func notFound(op, what string) error { return store.Errorf(store.KindNotFound, op, "%s", what) }

func (f *fakeDir) AddDomain(_ context.Context, d string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.domains[d] {
		return store.Errorf(store.KindExists, "add domain", "%s", d)
	}
	f.domains[d] = true
	return nil
}

func (f *fakeDir) DeleteDomain(_ context.Context, d string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.domains[d] {
		return notFound("delete domain", d)
	}
	delete(f.domains, d)
	return nil
}

func (f *fakeDir) Domains(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Collect(maps.Keys(f.domains)), nil
}

func (f *fakeDir) HasDomain(_ context.Context, d string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.domains[d], nil
}

// inUse reports whether address is taken; f.mu is held.
func (f *fakeDir) inUse(address string) bool {
	_, acct := f.owner[address]
	_, alias := f.aliases[address]
	return acct || alias
}

func (f *fakeDir) CreateAccount(_ context.Context, address, hash string) (store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.domains[domainOf(address)] {
		return store.Account{}, notFound("create account", domainOf(address))
	}
	if f.inUse(address) {
		return store.Account{}, store.Errorf(store.KindExists, "create account", "%s", address)
	}
	f.nextID++
	a := store.Account{ID: f.nextID, Address: address, PasswordHash: hash, Created: time.Now()}
	f.accounts[a.ID] = a
	f.owner[address] = a.ID
	return a, nil
}

func (f *fakeDir) DeleteAccount(_ context.Context, id store.AccountID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.accounts[id]; !ok {
		return notFound("delete account", "account")
	}
	delete(f.accounts, id)
	maps.DeleteFunc(f.owner, func(_ string, v store.AccountID) bool { return v == id })
	return nil
}

func (f *fakeDir) Account(_ context.Context, id store.AccountID) (store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[id]
	if !ok {
		return store.Account{}, notFound("account", "account")
	}
	return a, nil
}

func (f *fakeDir) Accounts(context.Context) ([]store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Account
	for _, id := range slices.Sorted(maps.Keys(f.accounts)) {
		out = append(out, f.accounts[id])
	}
	return out, nil
}

func (f *fakeDir) FirstAccount(context.Context) (store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.accounts) == 0 {
		return store.Account{}, notFound("first account", "account")
	}
	return f.accounts[slices.Min(slices.Collect(maps.Keys(f.accounts)))], nil
}

func (f *fakeDir) SetQuota(_ context.Context, id store.AccountID, maxBytes, maxMessages int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[id]
	if !ok {
		return notFound("set quota", "account")
	}
	a.Quota.MaxBytes, a.Quota.MaxMessages = maxBytes, maxMessages
	f.accounts[id] = a
	return nil
}

func (f *fakeDir) SetPasswordHash(_ context.Context, id store.AccountID, hash string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[id]
	if !ok {
		return notFound("set password", "account")
	}
	a.PasswordHash = hash
	f.accounts[id] = a
	return nil
}

func (f *fakeDir) AddAddress(_ context.Context, id store.AccountID, address string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.accounts[id]; !ok || !f.domains[domainOf(address)] {
		return notFound("add address", address)
	}
	if f.inUse(address) {
		return store.Errorf(store.KindExists, "add address", "%s", address)
	}
	f.owner[address] = id
	return nil
}

func (f *fakeDir) DeleteAddress(_ context.Context, address string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.owner[address]
	if !ok {
		return notFound("delete address", address)
	}
	if f.accounts[id].Address == address {
		return store.Errorf(store.KindInvalid, "delete address", "primary")
	}
	delete(f.owner, address)
	return nil
}

func (f *fakeDir) Addresses(_ context.Context, id store.AccountID) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[id]
	if !ok {
		return nil, notFound("addresses", "account")
	}
	var extra []string
	for addr, owner := range f.owner {
		if owner == id && addr != a.Address {
			extra = append(extra, addr)
		}
	}
	slices.Sort(extra)
	return append([]string{a.Address}, extra...), nil
}

func (f *fakeDir) LookupAddress(_ context.Context, address string) (store.AccountID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.owner[address]
	if !ok {
		return 0, notFound("lookup address", address)
	}
	return id, nil
}

func (f *fakeDir) SetAlias(_ context.Context, address string, targets []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.owner[address]; ok {
		return store.Errorf(store.KindExists, "set alias", "%s", address)
	}
	f.aliases[address] = slices.Clone(targets)
	return nil
}

func (f *fakeDir) DeleteAlias(_ context.Context, address string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.aliases[address]; !ok {
		return notFound("delete alias", address)
	}
	delete(f.aliases, address)
	return nil
}

func (f *fakeDir) Alias(_ context.Context, address string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.aliases[address]
	if !ok {
		return nil, notFound("alias", address)
	}
	return slices.Clone(t), nil
}

func (f *fakeDir) Aliases(context.Context) (map[string][]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for k, v := range f.aliases {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// Compile-time checks: the fake and every store.Store satisfy Directory.
var (
	_ Directory = (*fakeDir)(nil)
	_ Directory = store.Store(nil)
)

// The key/value part: a map, with store.KV's semantics.

func (f *fakeDir) KVCreate(_ context.Context, key string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.kv[key]; ok {
		return store.Errorf(store.KindExists, "kv create", "%s", key)
	}
	if f.kv == nil {
		f.kv = map[string][]byte{}
	}
	f.kv[key] = slices.Clone(value)
	return nil
}

func (f *fakeDir) KVLoad(_ context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.kv[key]
	if !ok {
		return nil, notFound("kv load", key)
	}
	return slices.Clone(v), nil
}

func (f *fakeDir) KVDelete(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.kv[key]; !ok {
		return notFound("kv delete", key)
	}
	delete(f.kv, key)
	return nil
}

func (f *fakeDir) KVExists(_ context.Context, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.kv[key]
	return ok, nil
}

func (f *fakeDir) KVList(_ context.Context, prefix string) ([]store.KeyInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.KeyInfo
	for _, k := range slices.Sorted(maps.Keys(f.kv)) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, store.KeyInfo{Key: k, Size: int64(len(f.kv[k]))})
		}
	}
	return out, nil
}
