package imapd

import (
	"net"
	"sync/atomic"
	"time"
)

// cmdClock bounds the time a command takes to arrive, its line and its
// literals together, so that a client trickling a byte every few seconds
// cannot hold a session and its buffers (README "IMAP", limits): from the
// command's first octet the client has CommandTimeout, plus one second for
// every MinTransferRate octets received. The autologout timer of RFC 9051
// §5.4 runs between commands (and in IDLE), not while one is sent.
//
// The read deadline is moved as octets arrive (prefixConn counts them), in
// steps of clockStep so that a fast transfer does not reset it per read.
type cmdClock struct {
	conn     net.Conn
	stopping *atomic.Bool // the session's: a shutdown's deadline wins
	rate     int64        // octets per second
	on       bool
	start    time.Time
	base     time.Duration
	got      int64
	set      time.Time // the deadline last set
}

const clockStep = 250 * time.Millisecond

// begin starts the clock of a command whose first octet has arrived.
func (c *cmdClock) begin(conn net.Conn, base time.Duration) {
	*c = cmdClock{conn: conn, stopping: c.stopping, rate: c.rate, on: true, start: time.Now(), base: base}
	c.setDeadline(c.start.Add(base))
}

// end stops the clock; the deadline last set stays until the session sets
// another.
func (c *cmdClock) end() { c.on = false }

// received counts n octets read from the client.
func (c *cmdClock) received(n int) {
	if !c.on || n <= 0 {
		return
	}
	c.got += int64(n)
	if dl := c.start.Add(c.base + transferTime(c.got, c.rate)); dl.Sub(c.set) >= clockStep {
		c.setDeadline(dl)
	}
}

func (c *cmdClock) setDeadline(t time.Time) {
	c.set = t
	c.conn.SetReadDeadline(t)
	// interrupt stores stopping before it moves the deadline to now:
	// either it sees this deadline and overrides it, or this sees it.
	if c.stopping.Load() {
		c.conn.SetReadDeadline(time.Now())
	}
}

// transferTime is the time n octets take at rate octets per second.
func transferTime(n, rate int64) time.Duration {
	return time.Duration(n/rate)*time.Second + time.Duration(n%rate)*time.Second/time.Duration(rate)
}

// rateWriter writes responses with a deadline per write: CommandTimeout
// plus the time its octets take at MinTransferRate, so that a client that
// stops reading (in the middle of a FETCH of a large message) does not hold
// its session, buffers and open files for ever.
type rateWriter struct {
	conn net.Conn
	base time.Duration
	rate int64
}

func (w rateWriter) Write(p []byte) (int, error) {
	w.conn.SetWriteDeadline(time.Now().Add(w.base + transferTime(int64(len(p)), w.rate)))
	return w.conn.Write(p)
}
