package smtpclient

import (
	"net/netip"
	"sync"
	"time"
)

// maxIdlePerKey bounds the idle connections kept to one address.
const maxIdlePerKey = 20

// DefaultConnectionCacheTime is how long an idle connection is kept for
// the next message to the same host, like Postfix's
// smtp_connection_cache_time_limit.
const DefaultConnectionCacheTime = 2 * time.Second

// cacheKey is what a cached connection can be used for again: the same
// address and host name, the same TLS choice and policy (a connection
// made under a weaker policy is not used for a stronger one), and the
// relay host's AUTH.
type cacheKey struct {
	ip     netip.Addr
	port   int
	host   string
	useTLS bool
	relay  bool
	policy string // tlsPolicy.key
}

// idleConn is a connection after a finished transaction and a positive
// RSET, with what the session learnt on it.
type idleConn struct {
	conn     *conn
	ext      extensions
	tls      string
	verified bool // the certificate passed the policy's check
	timer    *time.Timer
}

// connCache keeps idle connections for ttl; each is closed (after QUIT)
// when nobody took it in time.
type connCache struct {
	ttl  time.Duration
	mu   sync.Mutex
	idle map[cacheKey][]*idleConn
}

func newConnCache(ttl time.Duration) *connCache {
	return &connCache{ttl: ttl, idle: make(map[cacheKey][]*idleConn)}
}

// get takes the most recently cached connection for k, or nil.
func (cc *connCache) get(k cacheKey) *idleConn {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	list := cc.idle[k]
	if len(list) == 0 {
		return nil
	}
	ic := list[len(list)-1]
	cc.setList(k, list[:len(list)-1])
	ic.timer.Stop()
	return ic
}

// put caches ic for k; false when k has enough idle connections already.
func (cc *connCache) put(k cacheKey, ic *idleConn) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.idle[k]) >= maxIdlePerKey {
		return false
	}
	cc.idle[k] = append(cc.idle[k], ic)
	ic.timer = time.AfterFunc(cc.ttl, func() { cc.expire(k, ic) })
	return true
}

// expire closes ic unless get took it first.
func (cc *connCache) expire(k cacheKey, ic *idleConn) {
	cc.mu.Lock()
	list := cc.idle[k]
	found := false
	for i, x := range list {
		if x == ic {
			cc.setList(k, append(list[:i:i], list[i+1:]...))
			found = true
			break
		}
	}
	cc.mu.Unlock()
	if found {
		_, _ = ic.conn.cmd("QUIT", time.Second)
		_ = ic.conn.nc.Close()
	}
}

func (cc *connCache) setList(k cacheKey, list []*idleConn) {
	if len(list) == 0 {
		delete(cc.idle, k)
		return
	}
	cc.idle[k] = list
}

// closeAll closes every idle connection.
func (cc *connCache) closeAll() {
	cc.mu.Lock()
	all := cc.idle
	cc.idle = make(map[cacheKey][]*idleConn)
	cc.mu.Unlock()
	for _, list := range all {
		for _, ic := range list {
			ic.timer.Stop()
			_, _ = ic.conn.cmd("QUIT", time.Second)
			_ = ic.conn.nc.Close()
		}
	}
}
