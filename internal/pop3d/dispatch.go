package pop3d

import "strings"

// handler runs one command in the states where it is valid.
type handler struct {
	authorization, transaction bool
	run                        func(s *session, args []string) Reply
}

// commandNames are the keywords handlerFor knows, the values of the
// "command" label of the metrics.
var commandNames = []string{"CAPA", "QUIT", "USER", "PASS", "AUTH", "STLS", "STAT", "LIST", "RETR", "TOP",
	"DELE", "RSET", "NOOP", "UIDL"}

// handlerFor returns the handler of a command keyword (RFC 1939 §§4-7,
// RFC 2449 §5 CAPA, RFC 2595 §4 STLS, RFC 5034 §4 AUTH). APOP and LAST
// are not implemented.
func handlerFor(name string) (handler, bool) {
	both := func(f func(*session, []string) Reply) handler { return handler{true, true, f} }
	auth := func(f func(*session, []string) Reply) handler { return handler{authorization: true, run: f} }
	trans := func(f func(*session, []string) Reply) handler { return handler{transaction: true, run: f} }
	switch name {
	case "CAPA":
		return both((*session).capa), true
	case "QUIT":
		return both((*session).quit), true
	case "USER":
		return auth((*session).userCmd), true
	case "PASS":
		return auth((*session).pass), true
	case "AUTH":
		return auth((*session).authenticate), true
	case "STLS":
		return auth((*session).stls), true
	case "STAT":
		return trans((*session).stat), true
	case "LIST":
		return trans((*session).list), true
	case "RETR":
		return trans((*session).retr), true
	case "TOP":
		return trans((*session).top), true
	case "DELE":
		return trans((*session).dele), true
	case "RSET":
		return trans((*session).rset), true
	case "NOOP":
		return trans((*session).noop), true
	case "UIDL":
		return trans((*session).uidl), true
	}
	return handler{}, false
}

// handle runs one command line, counts it and its error reply, and
// returns its reply.
func (s *session) handle(line string) Reply {
	name, _, _ := strings.Cut(line, " ")
	s.srv.metrics.Command(name)
	r := s.dispatch(line)
	if !r.OK {
		s.srv.metrics.Error(name)
	}
	return r
}

// dispatch runs one command line and returns its reply.
func (s *session) dispatch(line string) Reply {
	cmd, err := ParseCommand(line)
	// RFC 1939 §7: PASS only "immediately after a successful USER".
	if cmd.Name != "PASS" && cmd.Name != "USER" {
		s.user = ""
	}
	if err != nil {
		if err == errBadArgs {
			return s.badCommand(replySyntax)
		}
		return s.badCommand(replyUnknown)
	}
	h, found := handlerFor(cmd.Name)
	if !found {
		return s.badCommand(replyUnknown)
	}
	if (s.state == stateAuthorization && !h.authorization) || (s.state == stateTransaction && !h.transaction) {
		return s.badCommand(replyWrongState)
	}
	if s.state == stateTransaction {
		if s.lockLost() {
			s.log.Warn("maildrop lock lost; ending the session without deleting")
			return replyLockLost
		}
		ctx, cancel := s.opContext()
		err := s.md.sync(ctx, s.srv.st)
		cancel()
		if err != nil {
			return s.storeFailure("sync maildrop", err)
		}
	}
	s.log.Debug("command", "cmd", cmd.Name)
	r := h.run(s, cmd.Args)
	if r.bad {
		return s.badCommand(r)
	}
	return r
}
