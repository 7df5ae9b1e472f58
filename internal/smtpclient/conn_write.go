package smtpclient

import (
	"net"
	"time"
)

// deadlineWriter sets the write deadline before every write, so that each
// block of a long message has its own timeout (RFC 5321 §4.5.3.2.5).
type deadlineWriter struct {
	nc      net.Conn
	timeout *time.Duration
}

func (d deadlineWriter) Write(p []byte) (int, error) {
	_ = d.nc.SetWriteDeadline(time.Now().Add(*d.timeout))
	return d.nc.Write(p)
}
