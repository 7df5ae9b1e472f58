package imapd

import (
	"strings"
)

// The commands of any state (RFC 9051 §6.1) and the session-wide ones of
// the authenticated state: ENABLE and NAMESPACE.

func (s *session) cmdCapability(_ *command) status {
	s.w.raw("* CAPABILITY " + s.capabilities() + "\r\n")
	return respOK("CAPABILITY completed")
}

func (s *session) cmdNoop(_ *command) status { return respOK("NOOP completed") }

func (s *session) cmdLogout(_ *command) status {
	s.w.status("*", status{kind: "BYE", text: "Logging out"})
	s.state = stateLogout
	return respOK("LOGOUT completed")
}

// idArgs are the ID parameters, key value ...; nil for NIL.
type idArgs struct{ params []string }

// parseID reads "NIL" or a list of string pairs (RFC 2971 §3.1).
func parseID(_ *session, r *reader, _ *command, a *idArgs) error {
	if err := r.sp(); err != nil {
		return err
	}
	if r.peek() != '(' {
		at, err := r.atom()
		if err != nil || !isNIL(at) {
			return errSyntax("Expected NIL or a parameter list")
		}
		return nil
	}
	a.params = []string{}
	return r.list(func() error {
		k, err := r.str()
		if err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
		v, err := r.nstring()
		a.params = append(a.params, k, v)
		return err
	})
}

// cmdID answers RFC 2971 ID with the server's name only.
func (s *session) cmdID(_ *command, _ *idArgs) status {
	s.w.raw(`* ID ("name" "Petrel")` + "\r\n")
	return respOK("ID completed")
}

// enableArgs are the capabilities to enable, upper case.
type enableArgs struct{ caps []string }

func parseEnable(_ *session, r *reader, _ *command, a *enableArgs) error {
	for r.peek() == ' ' {
		r.pos++
		at, err := r.atom()
		if err != nil {
			return err
		}
		a.caps = append(a.caps, strings.ToUpper(at))
	}
	if len(a.caps) == 0 {
		return errSyntax("ENABLE needs a capability")
	}
	return nil
}

// cmdEnable turns on extensions (RFC 5161, RFC 9051 §6.3.1).
func (s *session) cmdEnable(_ *command, a *enableArgs) status {
	var enabled []string
	for _, c := range a.caps {
		switch c {
		case "IMAP4REV2":
			s.rev2, s.utf8 = true, true
			enabled = append(enabled, "IMAP4rev2")
		case "CONDSTORE":
			s.enableCondstore()
			enabled = append(enabled, "CONDSTORE")
		case "QRESYNC":
			s.qresync = true
			s.enableCondstore()
			enabled = append(enabled, "QRESYNC")
		case "UTF8=ACCEPT":
			s.utf8 = true
			enabled = append(enabled, "UTF8=ACCEPT")
		case "UIDONLY": // RFC 9586 §3
			s.uidOnly = true
			enabled = append(enabled, "UIDONLY")
		}
	}
	s.w.raw("* ENABLED")
	for _, e := range enabled {
		s.w.raw(" " + e)
	}
	s.w.crlf()
	return respOK("ENABLE completed")
}

// enableCondstore turns CONDSTORE on for the session, at a CONDSTORE
// enabling command (RFC 7162 §3.1). The first one issued while a mailbox
// is selected sends its HIGHESTMODSEQ, which the SELECT did not (§3.1,
// §3.1.2.1).
func (s *session) enableCondstore() {
	if s.condstore {
		return
	}
	s.condstore = true
	if s.v != nil {
		s.w.status("*", respOKCode("HIGHESTMODSEQ "+utoa(uint64(s.v.mb.HighestModSeq)), "Highest"))
	}
}

// cmdNamespace: one personal namespace, no others (RFC 2342).
func (s *session) cmdNamespace(_ *command) status {
	s.w.raw(s.namespaces()) // acl_cmd.go
	return respOK("NAMESPACE completed")
}
