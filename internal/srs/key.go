package srs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/petrelmail/petrel/internal/store"
)

// KeyName is the KV key of the SRS keys (README "Forwarding and SRS"):
// base64 keys, one a line; the first signs, every one verifies, so a
// new key put first rotates without breaking the addresses in flight.
const KeyName = "srs/keys"

const keySize = 32

// keyring loads the keys once, making the first on first use. KVCreate
// settles a race between nodes: the loser loads the winner's key.
type keyring struct {
	kv   KV
	mu   sync.Mutex
	keys [][]byte
}

func (k *keyring) signing(ctx context.Context) ([]byte, error) {
	keys, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

func (k *keyring) all(ctx context.Context) ([][]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys != nil {
		return k.keys, nil
	}
	raw, err := k.kv.KVLoad(ctx, KeyName)
	if store.IsKind(err, store.KindNotFound) {
		raw, err = k.create(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("srs: load key: %w", err)
	}
	keys, err := parseKeys(raw)
	if err != nil {
		return nil, err
	}
	k.keys = keys
	return keys, nil
}

// create makes a key, or loads the one another node made first.
func (k *keyring) create(ctx context.Context) ([]byte, error) {
	key := make([]byte, keySize)
	rand.Read(key)
	raw := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	err := k.kv.KVCreate(ctx, KeyName, raw)
	if store.IsKind(err, store.KindExists) {
		return k.kv.KVLoad(ctx, KeyName)
	}
	return raw, err
}

var errNoKey = errors.New("srs: " + KeyName + " holds no key of at least 16 octets")

func parseKeys(raw []byte) ([][]byte, error) {
	var keys [][]byte
	for line := range bytes.Lines(raw) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(string(line))
		if err != nil || len(k) < 16 {
			return nil, errNoKey
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errNoKey
	}
	return keys, nil
}
