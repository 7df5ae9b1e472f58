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
// never kept.
type memoResolver struct {
	dnsr.Resolver
	ttl time.Duration
	mu  sync.Mutex
	mx  map[string]memoEntry[[]*net.MX]
	ip  map[string]memoEntry[[]netip.Addr]
}

type memoEntry[T any] struct {
	val     T
	expires time.Time
}

func newMemoResolver(r dnsr.Resolver, ttl time.Duration) *memoResolver {
	return &memoResolver{Resolver: r, ttl: ttl, mx: map[string]memoEntry[[]*net.MX]{},
		ip: map[string]memoEntry[[]netip.Addr]{}}
}

func (m *memoResolver) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	key := normDomain(domain)
	if v, ok := memoGet(m, m.mx, key); ok {
		return v, nil
	}
	v, err := m.Resolver.LookupMX(ctx, domain)
	if err == nil {
		memoPut(m, m.mx, key, v)
	}
	return slices.Clone(v), err
}

func (m *memoResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	key := normDomain(host)
	if v, ok := memoGet(m, m.ip, key); ok {
		return v, nil
	}
	v, err := m.Resolver.LookupIP(ctx, host)
	if err == nil {
		memoPut(m, m.ip, key, v)
	}
	return slices.Clone(v), err
}

// memoGet returns a copy of a live entry (callers reorder what they get).
func memoGet[T any](m *memoResolver, tab map[string]memoEntry[[]T], key string) ([]T, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := tab[key]
	if !ok || !time.Now().Before(e.expires) {
		return nil, false
	}
	return slices.Clone(e.val), true
}

func memoPut[T any](m *memoResolver, tab map[string]memoEntry[[]T], key string, v []T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(tab) >= maxMemo {
		clear(tab)
	}
	tab[key] = memoEntry[[]T]{val: slices.Clone(v), expires: time.Now().Add(m.ttl)}
}
