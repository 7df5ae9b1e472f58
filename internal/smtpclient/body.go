package smtpclient

import (
	"cmp"
	"errors"
	"io"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

// readErr remembers a failure to read the body, to tell it from a
// failure to write to the server.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

// data sends DATA and the message, and returns the reply to the end of
// data (RFC 5321 §4.1.1.4). A body that cannot be read is a local
// temporary failure: the connection is dropped before the final dot, so
// the server discards what it got.
func (s *session) data() (*smtpreply.Reply, outcome, bool) {
	cfg := &s.c.cfg
	n := len(s.m.Rcpts)
	r, err := s.conn.cmd("DATA", cfg.CommandTimeout)
	if err != nil {
		return nil, retry(lostConnection(s.hop.host, s.ip, s.hop.port, "sending DATA"), err), false
	}
	if r.Code/100 == 2 {
		// RFC 5321 §4.3.2: DATA's only positive reply is 354; a 2xx
		// before any body is no delivery (its recipients would be taken
		// as delivered with nothing sent): a temporary protocol error.
		return nil, retry(badDataReply(s.hop.host, s.ip, s.hop.port, r), nil), false
	}
	if r.Code != 354 {
		return r, outcome{}, true
	}
	body, err := s.m.Body()
	if err != nil {
		return nil, s.localError(n, err), false
	}
	defer func() { _ = body.Close() }()
	src := &readErr{r: body}
	s.conn.wto = cfg.DataTimeout
	if err := copyData(s.conn.w, src, s.plan); err != nil {
		var se *sendError
		if src.err != nil || !errors.As(err, &se) { // reading or converting
			return nil, s.localError(n, cmp.Or(src.err, err)), false
		}
		return nil, retry(lostConnection(s.hop.host, s.ip, s.hop.port, "sending the message"), err), false
	}
	if err := s.conn.flush(cfg.DataTimeout); err != nil {
		return nil, retry(lostConnection(s.hop.host, s.ip, s.hop.port, "sending the message"), err), false
	}
	final, err := s.conn.reply(cfg.DataTimeout)
	if err != nil {
		// The server may have the message: the queue retries later
		// rather than another host now (RFC 5321 §6.1 allows duplicates,
		// never losses).
		out := decided(n, lostConnection(s.hop.host, s.ip, s.hop.port, "waiting for the reply to the end of data"))
		out.err = err
		return nil, out, false
	}
	return final, outcome{}, true
}

// localError: the message could not be read here; temporary, and the
// session is dropped without QUIT (the end of data was not sent).
func (s *session) localError(n int, err error) outcome {
	_ = s.conn.nc.Close()
	out := decided(n, smtpreply.New(451, smtpreply.Enhanced{4, 3, 0}, "Local error reading the queued message"))
	out.err = err
	return out
}
