package smtpclient

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// maxMemo bounds the answers a memoResolver keeps.
const maxMemo = 10000

// memoResolver keeps successful MX and address answers for a short time
// (the connection cache time, seconds: far below the TTLs of mail
// servers' records), so that a stream of messages to one domain does not
// ask the same questions for each message, as Postfix's connection cache
// finds a connection by destination name before any lookup. Failures are
// never kept. Over a DNSSEC resolver (dnssec.go) the answers keep whether
// they were secure, and TLSA lookups are passed on.
type memoResolver struct {
	dnsr.Resolver
	sec secureResolver // nil: answers are insecure
	ttl time.Duration
	mu  sync.Mutex
	mx  map[string]memoEntry[[]*net.MX]
	ip  map[string]memoEntry[[]netip.Addr]
}

type memoEntry[T any] struct {
	val     T
	secure  bool
	expires time.Time
}

func newMemoResolver(r dnsr.Resolver, sec secureResolver, ttl time.Duration) *memoResolver {
	return &memoResolver{Resolver: r, sec: sec, ttl: ttl, mx: map[string]memoEntry[[]*net.MX]{},
		ip: map[string]memoEntry[[]netip.Addr]{}}
}

func (m *memoResolver) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	v, _, err := m.LookupMXSecure(ctx, domain)
	return v, err
}

func (m *memoResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	v, _, err := m.LookupIPSecure(ctx, host)
	return v, err
}

func (m *memoResolver) LookupMXSecure(ctx context.Context, domain string) ([]*net.MX, bool, error) {
	return memoLookup(m, m.mx, normDomain(domain), func() ([]*net.MX, bool, error) {
		if m.sec != nil {
			return m.sec.LookupMXSecure(ctx, domain)
		}
		v, err := m.Resolver.LookupMX(ctx, domain)
		return v, false, err
	})
}

func (m *memoResolver) LookupIPSecure(ctx context.Context, host string) ([]netip.Addr, bool, error) {
	return memoLookup(m, m.ip, normDomain(host), func() ([]netip.Addr, bool, error) {
		if m.sec != nil {
			return m.sec.LookupIPSecure(ctx, host)
		}
		v, err := m.Resolver.LookupIP(ctx, host)
		return v, false, err
	})
}

func (m *memoResolver) LookupTLSA(ctx context.Context, port int, host string) ([]dnsr.TLSA, bool, error) {
	return m.sec.LookupTLSA(ctx, port, host)
}

func (m *memoResolver) DNSSEC() bool { return m.sec != nil && m.sec.DNSSEC() }

// memoLookup returns a copy of a live entry for key (callers reorder what
// they get), else asks and keeps a successful answer.
func memoLookup[T any](m *memoResolver, tab map[string]memoEntry[[]T], key string, ask func() ([]T, bool, error)) ([]T, bool, error) {
	m.mu.Lock()
	e, ok := tab[key]
	m.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return slices.Clone(e.val), e.secure, nil
	}
	v, secure, err := ask()
	if err != nil {
		return v, secure, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(tab) >= maxMemo {
		clear(tab)
	}
	tab[key] = memoEntry[[]T]{val: slices.Clone(v), secure: secure, expires: time.Now().Add(m.ttl)}
	return slices.Clone(v), secure, nil
}
