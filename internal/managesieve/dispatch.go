package managesieve

import (
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/scram"
)

// handler runs one command in the states where it is valid.
type handler struct {
	before, after bool // valid before login, after login
	run           func(s *session, args []Arg) Reply
}

// commandNames are the commands handlerFor knows, the values of the
// "command" label of the metrics.
var commandNames = []string{"CAPABILITY", "STARTTLS", "AUTHENTICATE", "LOGOUT", "NOOP", "UNAUTHENTICATE",
	"HAVESPACE", "PUTSCRIPT", "CHECKSCRIPT", "LISTSCRIPTS", "SETACTIVE", "GETSCRIPT", "DELETESCRIPT",
	"RENAMESCRIPT"}

// handlerFor returns the handler of a command (RFC 5804 §2).
func handlerFor(name string) (handler, bool) {
	both := func(f func(*session, []Arg) Reply) handler { return handler{true, true, f} }
	before := func(f func(*session, []Arg) Reply) handler { return handler{before: true, run: f} }
	after := func(f func(*session, []Arg) Reply) handler { return handler{after: true, run: f} }
	switch name {
	case "CAPABILITY":
		return both((*session).capabilityCmd), true
	case "LOGOUT":
		return both((*session).logout), true
	case "NOOP":
		return both((*session).noop), true
	case "STARTTLS":
		return before((*session).starttls), true
	case "AUTHENTICATE":
		return before((*session).authenticate), true
	case "UNAUTHENTICATE":
		return after((*session).unauthenticate), true
	case "HAVESPACE":
		return after((*session).haveSpace), true
	case "PUTSCRIPT":
		return after((*session).putScript), true
	case "CHECKSCRIPT":
		return after((*session).checkScript), true
	case "LISTSCRIPTS":
		return after((*session).listScripts), true
	case "SETACTIVE":
		return after((*session).setActive), true
	case "GETSCRIPT":
		return after((*session).getScript), true
	case "DELETESCRIPT":
		return after((*session).deleteScript), true
	case "RENAMESCRIPT":
		return after((*session).renameScript), true
	}
	return handler{}, false
}

// handle runs one command, counts it and its error reply, and returns
// its reply. A command that could not be parsed comes as a nil cmd.
func (s *session) handle(cmd *Command) Reply {
	name := "other"
	if cmd != nil {
		name = cmd.Name
	}
	s.srv.metrics.Command(name)
	r := s.dispatch(cmd)
	if r.Kind != KindOK {
		s.srv.metrics.Error(name)
	}
	return r
}

// dispatch runs one command and returns its reply.
func (s *session) dispatch(cmd *Command) Reply {
	if !s.authed {
		s.commands++
		if s.commands > s.srv.cfg.MaxCommandsBeforeAuth {
			s.log.Info("too many commands before login", "count", s.commands)
			return replyTooManyCmds
		}
	}
	if cmd == nil {
		return s.badCommand(replySyntax)
	}
	h, found := handlerFor(cmd.Name)
	if !found {
		return s.badCommand(replyUnknown)
	}
	if (s.authed && !h.after) || (!s.authed && !h.before) {
		return s.badCommand(replyWrongState)
	}
	s.log.Debug("command", "cmd", cmd.Name)
	r := h.run(s, cmd.Args)
	if r.bad {
		return s.badCommand(r)
	}
	return r
}

// badCommand counts a bad command before login; past MaxBadCommands it
// closes the connection.
func (s *session) badCommand(r Reply) Reply {
	if s.authed {
		return r
	}
	s.bad++
	if s.bad > s.srv.cfg.MaxBadCommands {
		s.log.Info("too many bad commands before login", "count", s.bad)
		return replyTooManyBad
	}
	return r
}

// stringArgs returns the n arguments of a command, each a string; false
// when they are not that.
func stringArgs(args []Arg, n int) ([]string, bool) {
	if len(args) != n {
		return nil, false
	}
	out := make([]string, n)
	for i, a := range args {
		if a.IsNumber {
			return nil, false
		}
		out[i] = a.Str
	}
	return out, true
}

// capabilityLines are the capability data of RFC 5804 §1.7 in the
// session's state: what works now, and nothing else.
func (s *session) capabilityLines() []string {
	q := encodeString
	lines := []string{q("IMPLEMENTATION") + " " + q("Petrel")}
	mechs := ""
	if s.authAllowed() {
		mechs = strings.Join(accounts.SASLMechanisms(scram.ConnExporter(s.c.Raw())), " ")
	}
	lines = append(lines, q("SASL")+" "+q(mechs))
	lines = append(lines, q("SIEVE")+" "+q(strings.Join(s.srv.d.Extensions, " ")))
	if s.srv.cfg.TLS != nil && !s.isTLS && !s.authed {
		lines = append(lines, q("STARTTLS"))
	}
	if n := s.srv.d.MaxRedirects; n > 0 {
		lines = append(lines, q("MAXREDIRECTS")+" "+q(strconv.Itoa(n)))
	}
	if s.authed {
		lines = append(lines, q("OWNER")+" "+q(s.acct.Address))
	}
	lines = append(lines, q("UNAUTHENTICATE"), q("VERSION")+" "+q("1.0"))
	return lines
}

// capability is the capability response: the data, then OK.
func (s *session) capability() Reply { return ok("").withData(s.capabilityLines()...) }

func (s *session) capabilityCmd(args []Arg) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	return s.capability()
}

// noop is NOOP (RFC 5804 §2.13): OK, with the TAG response code when
// the client gave a string.
func (s *session) noop(args []Arg) Reply {
	switch strs, valid := stringArgs(args, len(args)); {
	case !valid || len(args) > 1:
		return replySyntax
	case len(strs) == 1:
		r := ok("Done")
		r.Tag = strs[0]
		return r
	}
	return ok("Done")
}

// logout is LOGOUT (RFC 5804 §2.3): OK, then the connection is closed.
func (s *session) logout(args []Arg) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	s.log.Info("logout")
	return ok("Logout completed").closing()
}
