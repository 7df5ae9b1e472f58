package vacation

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// memKV is a store.KV in memory, for the tests that need no shared
// store; fail makes every call fail.
type memKV struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail bool
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (k *memKV) err(op string) error {
	if k.fail {
		return store.Errorf(store.KindInternal, op, "disk on fire")
	}
	return nil
}

func (k *memKV) KVStore(_ context.Context, key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.err("kv store"); err != nil {
		return err
	}
	k.m[key] = append([]byte(nil), v...)
	return nil
}

func (k *memKV) KVCreate(_ context.Context, key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.err("kv create"); err != nil {
		return err
	}
	if _, ok := k.m[key]; ok {
		return store.Errorf(store.KindExists, "kv create", "exists")
	}
	k.m[key] = append([]byte(nil), v...)
	return nil
}

func (k *memKV) KVLoad(_ context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.err("kv load"); err != nil {
		return nil, err
	}
	v, ok := k.m[key]
	if !ok {
		return nil, store.Errorf(store.KindNotFound, "kv load", "none")
	}
	return v, nil
}

func (k *memKV) KVDelete(_ context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[key]; !ok {
		return store.Errorf(store.KindNotFound, "kv delete", "none")
	}
	delete(k.m, key)
	return nil
}

func (k *memKV) KVExists(_ context.Context, key string) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.m[key]
	return ok, nil
}

func (k *memKV) KVStat(_ context.Context, key string) (store.KeyInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return store.KeyInfo{}, store.Errorf(store.KindNotFound, "kv stat", "none")
	}
	return store.KeyInfo{Key: key, Size: int64(len(v)), Modified: time.Time{}}, nil
}

func (k *memKV) KVList(_ context.Context, prefix string) ([]store.KeyInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []store.KeyInfo
	for key, v := range k.m {
		if strings.HasPrefix(key, prefix) {
			out = append(out, store.KeyInfo{Key: key, Size: int64(len(v))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
