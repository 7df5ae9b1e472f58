package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Directory is the part of store.Directory the service uses. Names given to
// it are always canonical (see package mailaddr).
type Directory interface {
	AddDomain(ctx context.Context, domain string) error
	DeleteDomain(ctx context.Context, domain string) error
	Domains(ctx context.Context) ([]string, error)
	HasDomain(ctx context.Context, domain string) (bool, error)

	CreateAccount(ctx context.Context, address, passwordHash string) (store.Account, error)
	DeleteAccount(ctx context.Context, id store.AccountID) error
	Account(ctx context.Context, id store.AccountID) (store.Account, error)
	Accounts(ctx context.Context) ([]store.Account, error)
	FirstAccount(ctx context.Context) (store.Account, error)
	SetPasswordHash(ctx context.Context, id store.AccountID, hash string) error
	SetQuota(ctx context.Context, id store.AccountID, maxBytes, maxMessages int64) error

	AddAddress(ctx context.Context, id store.AccountID, address string) error
	DeleteAddress(ctx context.Context, address string) error
	Addresses(ctx context.Context, id store.AccountID) ([]string, error)
	LookupAddress(ctx context.Context, address string) (store.AccountID, error)

	SetAlias(ctx context.Context, address string, targets []string) error
	DeleteAlias(ctx context.Context, address string) error
	Alias(ctx context.Context, address string) ([]string, error)
	Aliases(ctx context.Context) (map[string][]string, error)

	// The part of store.KV that keeps the account flags and app
	// passwords (flags.go, apppasswords.go).
	KVCreate(ctx context.Context, key string, value []byte) error
	KVLoad(ctx context.Context, key string) ([]byte, error)
	KVDelete(ctx context.Context, key string) error
	KVExists(ctx context.Context, key string) (bool, error)
	KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error)
}

// ErrNotLocal is wrapped by the errors about a domain that is not one of
// Petrel's domains, so that SMTP can refuse to relay.
var ErrNotLocal = errors.New("not a local domain")

// ErrAliasLoop is wrapped by the errors about an alias expansion that loops
// or passes the nesting and fan-out limits (SMTP: 550 5.4.6).
var ErrAliasLoop = errors.New("alias loop")

// ErrAuthFailed is returned by Authenticate for an unknown user and for a
// wrong password alike.
var ErrAuthFailed = errors.New("authentication failed")

// Options configures a Service.
type Options struct {
	// SubaddressSeparator separates a local part from its tag (user+tag);
	// empty disables subaddressing.
	SubaddressSeparator string
	// HashConcurrency bounds concurrent password hash computations;
	// 0 means runtime.NumCPU().
	HashConcurrency int
	// Argon sets the argon2id parameters of new hashes; nil means
	// DefaultArgonParams(), and zero fields take their default.
	Argon *ArgonParams
	// AuthCacheTTL is how long a password that verified is remembered
	// (authCache); 0 means 15 minutes, negative turns the cache off.
	AuthCacheTTL time.Duration
	// Now is the clock of the cache; nil means time.Now.
	Now func() time.Time
}

// Service applies the rules of domains, accounts, aliases and passwords.
// It is safe for concurrent use.
type Service struct {
	dir   Directory
	sep   string
	argon ArgonParams
	// hashSlots is a semaphore: one token per running hash computation.
	hashSlots chan struct{}
	auth      *authCache // nil: every login is verified
	// onHash, when set (tests), is called at each hash computation.
	onHash func()
	// scramFake keys the made-up SCRAM secrets of users who have none
	// (scram.go).
	scramFake []byte
}

// New returns a Service on dir.
func New(dir Directory, opts Options) *Service {
	n := opts.HashConcurrency
	if n <= 0 {
		n = runtime.NumCPU()
	}
	params := DefaultArgonParams()
	if opts.Argon != nil {
		params = opts.Argon.withDefaults()
	}
	return &Service{
		dir:       dir,
		sep:       opts.SubaddressSeparator,
		argon:     params,
		hashSlots: make(chan struct{}, n),
		auth:      newAuthCache(opts.AuthCacheTTL, opts.Now),
		scramFake: randomKey(),
	}
}

// parseAddress parses and canonicalises an address that names something
// in a local domain (an account, an extra address or an alias).
func parseAddress(op, s string) (mailaddr.Address, error) {
	a, err := mailaddr.Parse(strings.TrimSpace(s))
	if err == nil {
		a, err = mailaddr.Canonical(a)
	}
	if err != nil {
		return mailaddr.Address{}, store.Errorf(store.KindInvalid, op, "%w", err)
	}
	if a.IsLiteral() {
		return mailaddr.Address{}, store.Errorf(store.KindInvalid, op,
			"address %q has an address literal; use a domain name", s)
	}
	return a, nil
}

// parseDomain canonicalises a domain name given by an operator.
func parseDomain(op, d string) (string, error) {
	c, err := mailaddr.CanonicalDomain(strings.TrimSpace(d))
	if err != nil {
		return "", store.Errorf(store.KindInvalid, op, "%w", err)
	}
	return c, nil
}

// requireLocal fails unless domain (canonical) is a local domain.
func (s *Service) requireLocal(ctx context.Context, op, domain string) error {
	ok, err := s.dir.HasDomain(ctx, domain)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	if !ok {
		return notLocal(op, domain)
	}
	return nil
}

func notLocal(op, domain string) error {
	return store.Errorf(store.KindNotFound, op,
		"domain %q is %w; add it with \"petrel domain add\"", domain, ErrNotLocal)
}

// found turns a lookup's KindNotFound error into false.
func found(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case store.IsKind(err, store.KindNotFound):
		return false, nil
	}
	return false, err
}

// domainOf returns the domain of a canonical address or alias key. Domains
// never contain "@", so the last one separates it.
func domainOf(address string) string {
	return address[strings.LastIndexByte(address, '@')+1:]
}

// randomKey returns 32 bytes from crypto/rand.
func randomKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}
