package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ArgonParams are the argon2id parameters of a password hash (RFC 9106 §3.1).
type ArgonParams struct {
	Time    uint32 // t: passes over memory
	Memory  uint32 // m: memory in KiB
	Threads uint8  // p: degree of parallelism
	SaltLen uint32 // salt length in bytes
	KeyLen  uint32 // hash (tag) length in bytes
}

// DefaultArgonParams returns the parameters of new hashes: argon2id with
// t=2, m=19456 KiB, p=1 (the OWASP recommendation), a 16-byte salt (RFC 9106
// §3.1 recommends 128 bits) and a 32-byte hash.
func DefaultArgonParams() ArgonParams {
	return ArgonParams{Time: 2, Memory: 19456, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// withDefaults fills zero fields with the default and raises the memory to
// the minimum of 8 KiB per lane (RFC 9106 §3.1).
func (p ArgonParams) withDefaults() ArgonParams {
	d := DefaultArgonParams()
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = d.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	p.Memory = max(p.Memory, 8*uint32(p.Threads))
	return p
}

// Bounds accepted when reading a stored hash, so that a damaged or hostile
// value cannot make a login allocate unbounded memory or time.
const (
	maxTime   = 64
	maxMemory = 4 << 20 // KiB: 4 GiB
	minSalt   = 8       // RFC 9106 §3.1: salt of at least 8 bytes
	maxSalt   = 1024
	minKey    = 16
	maxKey    = 1024
)

// phcHash is a decoded PHC string.
type phcHash struct {
	params ArgonParams
	salt   []byte
	key    []byte
}

// b64 is the PHC strings' encoding: standard base64 without padding.
func b64() *base64.Encoding { return base64.RawStdEncoding.Strict() }

// encode returns h as a PHC string:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.
func (h phcHash) encode() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64().EncodeToString(h.salt), b64().EncodeToString(h.key))
}

// decodeHash parses a PHC string written by encode.
func decodeHash(s string) (phcHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phcHash{}, errors.New("password hash is not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phcHash{}, fmt.Errorf("unsupported argon2 version %q", parts[2])
	}
	params, err := decodeParams(parts[3])
	if err != nil {
		return phcHash{}, err
	}
	salt, err := b64().DecodeString(parts[4])
	if err != nil || len(salt) < minSalt || len(salt) > maxSalt {
		return phcHash{}, errors.New("invalid salt in password hash")
	}
	key, err := b64().DecodeString(parts[5])
	if err != nil || len(key) < minKey || len(key) > maxKey {
		return phcHash{}, errors.New("invalid key in password hash")
	}
	params.SaltLen, params.KeyLen = uint32(len(salt)), uint32(len(key))
	return phcHash{params: params, salt: salt, key: key}, nil
}

// decodeParams parses "m=<KiB>,t=<passes>,p=<lanes>".
func decodeParams(s string) (ArgonParams, error) {
	var v [3]uint64
	names := [3]string{"m", "t", "p"}
	fields := strings.Split(s, ",")
	if len(fields) != len(names) {
		return ArgonParams{}, fmt.Errorf("invalid argon2 parameters %q", s)
	}
	for i, f := range fields {
		num, ok := strings.CutPrefix(f, names[i]+"=")
		n, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return ArgonParams{}, fmt.Errorf("invalid argon2 parameters %q", s)
		}
		v[i] = n
	}
	p := ArgonParams{Memory: uint32(v[0]), Time: uint32(v[1]), Threads: uint8(v[2])}
	if v[1] < 1 || v[1] > maxTime || v[2] < 1 || v[2] > 255 ||
		v[0] < 8*v[2] || v[0] > maxMemory {
		return ArgonParams{}, fmt.Errorf("argon2 parameters %q out of range", s)
	}
	return p, nil
}

// derive computes the argon2id key of password, holding a hash slot.
func (s *Service) derive(ctx context.Context, password string, salt []byte, p ArgonParams) ([]byte, error) {
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.hashSlots }()
	if s.onHash != nil {
		s.onHash()
	}
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

// hashPassword returns a new PHC string for password with a random salt.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, s.argon.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := s.derive(ctx, password, salt, s.argon)
	if err != nil {
		return "", err
	}
	return phcHash{params: s.argon, salt: salt, key: key}.encode(), nil
}

// verifyPassword reports whether password matches the PHC string hash,
// comparing in constant time.
func (s *Service) verifyPassword(ctx context.Context, password, hash string) (bool, error) {
	h, err := decodeHash(hash)
	if err != nil {
		return false, err
	}
	key, err := s.derive(ctx, password, h.salt, h.params)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// spendHash computes one hash with the current parameters and discards it,
// so that a failure for an unknown user takes as long as a wrong password.
func (s *Service) spendHash(ctx context.Context, password string) {
	_, _ = s.derive(ctx, password, make([]byte, s.argon.SaltLen), s.argon)
}
