package smtpd

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/envelope"
	"github.com/petrelmail/petrel/internal/netserve"
	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/screen"
	"github.com/petrelmail/petrel/internal/smtpreply"
)

// readBufferSize is the size of a session's input buffer: one read of
// message data is processed at a time.
const readBufferSize = 16 << 10

// session is one client connection.
type session struct {
	srv  *Server
	id   string // the connection's ID in logs ("conn")
	cfg  *Config
	raw  net.Conn // the accepted connection: Shutdown closes it
	conn net.Conn // raw, or the TLS connection over it
	br   *bufio.Reader
	bw   *bufio.Writer
	log  *slog.Logger
	ip   netip.Addr

	host     string        // verified reverse DNS name, set before hostDone closes
	hostDone chan struct{} // closed when the reverse lookup is over

	tls   *tls.ConnectionState // after STARTTLS or implicit TLS
	helo  string               // the HELO/EHLO/LHLO argument, "" before
	proto string               // "SMTP" after HELO, "ESMTP", "LMTP"
	auth  string               // authenticated account (extensions)
	tx    *transaction         // nil outside a mail transaction
	body  body

	// binding is tls's tls-exporter channel binding data (RFC 9266).
	binding []byte

	bdatFailed bool // a BDAT failed and no new transaction began since
	badCount   int
	markBad    bool  // the current command was a bad one
	quit       bool  // close after the current reply
	ioErr      error // a read failed inside a command (DATA, BDAT)
	dataMode   bool  // reading message data, under the data deadline
	dataStart  time.Time
	dataRead   int64 // octets read from the connection since dataStart

	rcpt rcptErrors // refused recipients (rcptguard.go)
	// screen screens the client (screen.go); nil without Config.Screen.
	screen *screen.Client

	mu      sync.Mutex // guards waiting, against Shutdown
	waiting bool       // blocked on a command outside a transaction
}

// transaction is one mail transaction, from MAIL to the end of data.
type transaction struct {
	env  *envelope.Envelope
	bdat *msgReader // the BDAT body so far; nil before the first chunk
}

func newSession(srv *Server, c net.Conn, ip netip.Addr) *session {
	id := obs.NewID()
	s := &session{
		srv: srv, id: id, cfg: &srv.cfg, raw: c, conn: c, ip: ip,
		log:  srv.log.With("conn", id, "remote", netserve.Remote(ip)),
		body: body{dir: srv.cfg.SpoolDir, mem: srv.bodyMemory()},
		rcpt: rcptErrors{client: netserve.ClientKey(ip)},
	}
	s.br, s.bw = srv.buffers(connReader{s}, c)
	s.lookupClientHost()
	if srv.cfg.Screen != nil {
		s.screen = srv.cfg.Screen.Connect(srv.ctx, ip, s.log)
	}
	return s
}

// buffers are a session's reader of r and writer to w, from ended
// sessions when there are some.
func (srv *Server) buffers(r io.Reader, w io.Writer) (*bufio.Reader, *bufio.Writer) {
	br, _ := srv.readers.Get().(*bufio.Reader)
	if br == nil {
		br = bufio.NewReaderSize(r, readBufferSize)
	} else {
		br.Reset(r)
	}
	bw, _ := srv.writers.Get().(*bufio.Writer)
	if bw == nil {
		bw = bufio.NewWriter(w)
	} else {
		bw.Reset(w)
	}
	return br, bw
}

// bodyMemory is the memory for a new session's message bodies: an ended
// session's, or none.
func (srv *Server) bodyMemory() []byte {
	if p, _ := srv.bodies.Get().(*[]byte); p != nil {
		return (*p)[:0]
	}
	return nil
}

// release keeps an ended session's buffers for the next ones; they no
// longer refer to its connection. The body was reset (its memory kept
// only when small); Deliver has returned, so nothing reads it.
func (srv *Server) release(br *bufio.Reader, bw *bufio.Writer, b *body) {
	br.Reset(nil)
	bw.Reset(nil)
	srv.readers.Put(br)
	srv.writers.Put(bw)
	if b.mem != nil {
		mem := b.mem[:0]
		b.mem = nil
		srv.bodies.Put(&mem)
	}
}

// lookupClientHost starts the reverse lookup of the client's address, so
// that it runs while the client is greeted; clientHost waits for it.
func (s *session) lookupClientHost() {
	s.hostDone = make(chan struct{})
	if s.cfg.ReverseName == nil || !s.ip.IsValid() {
		close(s.hostDone)
		return
	}
	if s.ip.IsLoopback() {
		// No DNS round trip (and no resolver timeout) for local clients.
		s.host = "localhost"
		close(s.hostDone)
		return
	}
	go func() {
		defer close(s.hostDone)
		s.host = s.cfg.ReverseName(s.srv.ctx, s.ip)
	}()
}

// clientHost is the verified name of the client, or "".
func (s *session) clientHost() string {
	<-s.hostDone
	return s.host
}

// connReader reads from the session's current connection; it flushes the
// pending replies first, so that replies to a pipelined batch go out in
// one write, just before the server would wait for input (RFC 2920 §3.2).
type connReader struct{ s *session }

func (r connReader) Read(p []byte) (int, error) {
	if err := r.s.flush(); err != nil {
		return 0, err
	}
	if !r.s.dataMode {
		return r.s.conn.Read(p) // under the deadline startWait set
	}
	r.s.conn.SetReadDeadline(r.s.dataDeadline())
	n, err := r.s.conn.Read(p)
	r.s.dataRead += int64(n)
	return n, err
}

// startData enters the data of DATA or of one BDAT chunk: from now on
// reads are under the data deadline.
func (s *session) startData() {
	s.dataMode, s.dataStart, s.dataRead = true, time.Now(), 0
}

// dataDeadline is when the data must be complete: DataTimeout after it
// started, plus a second per MinDataRate octets received (up to
// MaxMessageSize). It is a deadline, not an idle timeout: RFC 5321
// §4.5.3.2 sets the least a client waits per read, and a server may cut a
// peer that trickles its data (README "SMTP", Slow clients).
func (s *session) dataDeadline() time.Time {
	earned := float64(min(s.dataRead, s.cfg.MaxMessageSize)) / float64(s.cfg.MinDataRate)
	return s.dataStart.Add(s.cfg.DataTimeout + time.Duration(earned*float64(time.Second)))
}

func (s *session) flush() error {
	if s.bw.Buffered() == 0 {
		return nil
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.cfg.CommandTimeout))
	return s.bw.Flush()
}

func (s *session) run() {
	defer s.srv.release(s.br, s.bw, &s.body) // last: nothing reads or writes after
	defer s.raw.Close()
	defer s.body.reset()
	s.log.Debug("connect")
	defer s.log.Debug("disconnect")
	defer s.logRcptSummary()
	if s.cfg.ImplicitTLS && !s.handshake() {
		return
	}
	if !s.screenGreeting() {
		s.flush()
		return
	}
	proto := "ESMTP"
	if s.cfg.LMTP {
		proto = "LMTP"
	}
	s.reply(smtpreply.Greeting(s.cfg.Hostname, proto))
	for !s.quit {
		line, tooLong, ok := s.nextCommand()
		if !ok {
			break
		}
		s.execute(line, tooLong)
	}
	s.flush()
}

// nextCommand reads a command line under CommandTimeout. It fails (after
// the 421 that says why, where one is due) when the session must end.
func (s *session) nextCommand() (line string, tooLong, ok bool) {
	if !s.startWait() {
		s.replyReason(smtpreply.ShuttingDown(s.cfg.Hostname), reasonShutdown)
		return "", false, false
	}
	line, tooLong, err := s.readLine()
	s.endWait()
	if err != nil {
		s.readFailed(err)
		return "", false, false
	}
	return line, tooLong, true
}

// startWait arms the command timeout, and lets Shutdown interrupt the
// wait when no transaction is open; it fails when the server is closing
// and no transaction is open.
func (s *session) startWait() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv.closing() && s.tx == nil {
		return false
	}
	s.conn.SetReadDeadline(time.Now().Add(s.cfg.CommandTimeout))
	s.waiting = s.tx == nil
	return true
}

func (s *session) endWait() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting = false
}

// interruptIfIdle makes a session waiting for a command outside a
// transaction stop waiting (Shutdown).
func (s *session) interruptIfIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting {
		s.raw.SetReadDeadline(time.Now())
	}
}

// readFailed ends the session after a failed read: a timeout gets 421
// 4.4.2 (RFC 5321 §4.5.3.2), or 421 4.3.2 when Shutdown interrupted an
// idle session; a closed connection just ends.
func (s *session) readFailed(err error) {
	switch {
	case !errors.Is(err, os.ErrDeadlineExceeded):
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			s.log.Debug("read failed", "err", err)
		}
	case s.srv.closing() && s.tx == nil:
		s.replyReason(smtpreply.ShuttingDown(s.cfg.Hostname), reasonShutdown)
	default:
		if s.dataMode {
			s.log.Info("timeout", "data", true, "octets", s.dataRead, "elapsed_ms", time.Since(s.dataStart).Milliseconds())
		} else {
			s.log.Info("timeout", "data", false)
		}
		s.dataMode = false
		s.replyReason(smtpreply.Timeout(s.cfg.Hostname), reasonTimeout)
	}
	s.quit = true
}

// readLine reads one command line and returns it without CRLF (a bare LF
// also ends a command line). A line longer than MaxLineLength (RFC 5321
// §4.5.3.1.4) is read to its end and dropped, and tooLong is set.
func (s *session) readLine() (line string, tooLong bool, err error) {
	frag, err := s.br.ReadSlice('\n')
	if err == nil && len(frag) <= s.cfg.MaxLineLength {
		// The whole line was in the buffer: one copy, the string.
		return string(trimEOL(frag)), false, nil
	}
	var buf []byte
	n := 0
	for {
		n += len(frag)
		if n <= s.cfg.MaxLineLength {
			buf = append(buf, frag...)
		}
		if err == bufio.ErrBufferFull {
			frag, err = s.br.ReadSlice('\n')
			continue
		}
		if err != nil {
			return "", false, err
		}
		break
	}
	if n > s.cfg.MaxLineLength {
		return "", true, nil
	}
	return string(trimEOL(buf)), false, nil
}

// trimEOL removes the LF that ends line and a CR before it.
func trimEOL(line []byte) []byte {
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line
}

// execute runs one command line and sends its reply. Bad commands
// (syntax, sequence, arguments) are counted; the one past MaxBadCommands
// gets 421 4.7.0 instead of its reply, and the session ends.
func (s *session) execute(line string, tooLong bool) {
	var r *smtpreply.Reply
	verb := ""
	if tooLong {
		r = s.bad(smtpreply.LineTooLong())
	} else {
		var arg string
		verb, arg = splitCommand(line)
		r = s.dispatch(verb, arg)
	}
	if s.ioErr != nil {
		s.readFailed(s.ioErr)
		return
	}
	if s.markBad {
		s.markBad = false
		s.badCount++
		s.log.Debug("bad command", "cmd", s.verbLabel(verb), "count", s.badCount)
		if s.badCount > s.cfg.MaxBadCommands {
			s.log.Info("too many bad commands", "count", s.badCount)
			s.replyReason(smtpreply.TooManyErrors(s.cfg.Hostname), reasonTooManyErrors)
			s.quit = true
			return
		}
	}
	if r != nil {
		s.reply(r)
	}
}

// splitCommand splits a command line into its upper-cased verb and its
// argument (RFC 5321 §4.1.1: verbs are case-insensitive).
func splitCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), strings.TrimSpace(arg)
}

// verbLabel names a verb in the log: the verb when it is a command of this
// server, else "unknown". An unrecognised line may be anything the client
// sent, such as the base64 password of a refused AUTH pipelined after it
// (README "Submission": passwords never reach the log).
func (s *session) verbLabel(verb string) string {
	if s.builtin(verb) != nil {
		return verb
	}
	for _, ext := range s.cfg.Extensions {
		if ext.Handles(verb) {
			return verb
		}
	}
	return "unknown"
}

// bad marks the current command as a bad one and returns r.
func (s *session) bad(r *smtpreply.Reply) *smtpreply.Reply {
	s.markBad = true
	return r
}

// reply queues r for sending; negative replies count in the rejection
// metric.
func (s *session) reply(r *smtpreply.Reply) {
	if r.Code >= 400 {
		s.srv.m.reject(s.cfg.Name, reasonOf(r))
	}
	writeReply(s.bw, r)
}

// replyReason is reply with the metric reason given.
func (s *session) replyReason(r *smtpreply.Reply, reason string) {
	s.srv.m.reject(s.cfg.Name, reason)
	writeReply(s.bw, r)
}

// writeReply writes r's lines with CRLF (RFC 5321 §4.2).
func writeReply(w io.Writer, r *smtpreply.Reply) error {
	var b strings.Builder
	for _, l := range r.Lines() {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printable makes client input safe and short for a log attribute.
func printable(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	return strings.ToValidUTF8(s, "?")
}

// Run, Interrupt and Close make a session a netserve.Session.
func (s *session) Run()       { s.run() }
func (s *session) Interrupt() { s.interruptIfIdle() }
func (s *session) Close()     { s.raw.Close() }
