package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/secure/precis"
)

// Iteration counts: RFC 7677 §4 asks for at least 4096; the upper bound
// keeps a damaged stored value from costing a client (or the server that
// derives keys at a password change) unbounded time.
const (
	MinIterations = 4096
	maxIterations = 1 << 24
	// SaltLen is the length of new salts (RFC 5802 §5.1 sets none; 16
	// bytes as for argon2id).
	SaltLen = 16
)

// Secrets are what the server keeps of a password (RFC 5802 §3).
type Secrets struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// Prepare prepares a password for SCRAM: PRECIS OpaqueString (RFC 8265
// §4.2; RFC 7677 §4 refers to SASLprep, which RFC 7613 made this
// profile). A password the profile refuses cannot be used with SCRAM.
func Prepare(password string) (string, error) {
	return precis.OpaqueString.String(password)
}

// NewSecrets derives the secrets of password with salt and iterations
// (RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i)).
func NewSecrets(password string, salt []byte, iterations int) (Secrets, error) {
	if iterations < MinIterations || iterations > maxIterations {
		return Secrets{}, fmt.Errorf("scram: iteration count %d out of range", iterations)
	}
	prepared, err := Prepare(password)
	if err != nil {
		return Secrets{}, fmt.Errorf("scram: password: %w", err)
	}
	salted, err := pbkdf2.Key(sha256.New, prepared, salt, iterations, sha256.Size)
	if err != nil {
		return Secrets{}, err
	}
	clientKey := mac(salted, []byte("Client Key"))
	storedKey := sha256.Sum256(clientKey)
	return Secrets{
		Salt:       salt,
		Iterations: iterations,
		StoredKey:  storedKey[:],
		ServerKey:  mac(salted, []byte("Server Key")),
	}, nil
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// mechName prefixes the encoded secrets (RFC 5803 §3 names the scheme
// by the mechanism).
const mechName = "SCRAM-SHA-256"

// Encode returns the secrets in the form of RFC 5803 §3:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64.
func (s Secrets) Encode() string {
	e := base64.StdEncoding
	return mechName + "$" + strconv.Itoa(s.Iterations) + ":" + e.EncodeToString(s.Salt) +
		"$" + e.EncodeToString(s.StoredKey) + ":" + e.EncodeToString(s.ServerKey)
}

// DecodeSecrets parses what Encode wrote.
func DecodeSecrets(v string) (Secrets, error) {
	bad := errors.New("scram: malformed stored secrets")
	rest, ok := strings.CutPrefix(v, mechName+"$")
	params, keys, ok2 := strings.Cut(rest, "$")
	iter, salt, ok3 := strings.Cut(params, ":")
	stored, server, ok4 := strings.Cut(keys, ":")
	if !ok || !ok2 || !ok3 || !ok4 {
		return Secrets{}, bad
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n < MinIterations || n > maxIterations {
		return Secrets{}, bad
	}
	var s Secrets
	s.Iterations = n
	e := base64.StdEncoding.Strict()
	if s.Salt, err = e.DecodeString(salt); err != nil || len(s.Salt) == 0 {
		return Secrets{}, bad
	}
	if s.StoredKey, err = e.DecodeString(stored); err != nil || len(s.StoredKey) != sha256.Size {
		return Secrets{}, bad
	}
	if s.ServerKey, err = e.DecodeString(server); err != nil || len(s.ServerKey) != sha256.Size {
		return Secrets{}, bad
	}
	return s, nil
}
