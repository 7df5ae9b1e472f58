package managesieve

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/sieve"
	"github.com/petrelmail/petrel/internal/sievescripts"
)

// validName checks what RFC 5804 §1.6 forbids in script names beyond
// sievescripts' rules (which the store applies): C1 controls and the
// line and paragraph separators.
func validName(name string) bool {
	return utf8.ValidString(name) && !strings.ContainsFunc(name, func(r rune) bool {
		return (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029
	})
}

// scriptErr maps an error of Scripts to a reply: the sievescripts errors
// to their response codes, a compile error to its line, column and text
// (what the client shows its user), anything else to TRYLATER with a log
// reference.
func (s *session) scriptErr(op string, err error) Reply {
	var se *sieve.Error
	switch {
	case errors.As(err, &se):
		return no(CodeNone, se.Error())
	case errors.Is(err, sievescripts.ErrNotFound):
		return replyNoScript
	case errors.Is(err, sievescripts.ErrActive):
		return replyIsActive
	case errors.Is(err, sievescripts.ErrExists):
		return replyExists
	case errors.Is(err, sievescripts.ErrBadName):
		return replyBadName
	case errors.Is(err, sievescripts.ErrTooMany):
		return tooManyScripts(sievescripts.MaxScripts)
	}
	return s.storeFailure(op, err)
}

// checkSource refuses a script over the size quota or not in UTF-8
// (RFC 5228 §2.1), before it is compiled.
func (s *session) checkSource(src string) (Reply, bool) {
	if len(src) > s.srv.cfg.MaxScriptSize {
		return tooLarge(s.srv.cfg.MaxScriptSize), false
	}
	if !utf8.ValidString(src) {
		return replyNotUTF8, false
	}
	return Reply{}, true
}

// nameArgs returns the n script-name arguments; a reply when they are
// not valid.
func nameArgs(args []Arg, n int) ([]string, Reply, bool) {
	strs, valid := stringArgs(args, n)
	if !valid {
		return nil, replySyntax, false
	}
	for _, name := range strs {
		if !validName(name) {
			return nil, replyBadName, false
		}
	}
	return strs, Reply{}, true
}

// haveSpace is HAVESPACE name size (RFC 5804 §2.5): whether a PUTSCRIPT
// of that size under that name would fit the quotas.
func (s *session) haveSpace(args []Arg) Reply {
	if len(args) != 2 || args[0].IsNumber || !args[1].IsNumber {
		return replySyntax
	}
	name := args[0].Str
	if !validName(name) {
		return replyBadName
	}
	if args[1].Num > int64(s.srv.cfg.MaxScriptSize) {
		return tooLarge(s.srv.cfg.MaxScriptSize)
	}
	ctx, cancel := s.opContext()
	infos, err := s.srv.d.Scripts.List(ctx, s.acct.Address)
	cancel()
	if err != nil {
		return s.scriptErr("list scripts", err)
	}
	exists := slices.ContainsFunc(infos, func(i sievescripts.Info) bool { return i.Name == name })
	if !exists && len(infos) >= sievescripts.MaxScripts {
		return tooManyScripts(sievescripts.MaxScripts)
	}
	return ok("Putscript would succeed")
}

// putScript is PUTSCRIPT name script (RFC 5804 §2.6): the script is
// compiled first; one that does not compile is refused with the
// compiler's line, column and message, and nothing is stored.
func (s *session) putScript(args []Arg) Reply {
	strs, valid := stringArgs(args, 2)
	if !valid {
		return replySyntax
	}
	if !validName(strs[0]) {
		return replyBadName
	}
	src := strs[1]
	if r, valid := s.checkSource(src); !valid {
		return r
	}
	ctx, cancel := s.opContext()
	err := s.srv.d.Scripts.Put(ctx, s.acct.Address, strs[0], []byte(src))
	cancel()
	if err != nil {
		return s.scriptErr("put script", err)
	}
	s.log.Info("script stored", "script", strs[0], "size", len(src))
	return ok("Script stored")
}

// checkScript is CHECKSCRIPT script (RFC 5804 §2.12): PUTSCRIPT's
// verification without storing.
func (s *session) checkScript(args []Arg) Reply {
	strs, valid := stringArgs(args, 1)
	if !valid {
		return replySyntax
	}
	if r, valid := s.checkSource(strs[0]); !valid {
		return r
	}
	if err := s.srv.d.Scripts.Check([]byte(strs[0])); err != nil {
		return s.scriptErr("check script", err)
	}
	return ok("Script is valid")
}

// listScripts is LISTSCRIPTS (RFC 5804 §2.7): a line per script, the
// active one marked ACTIVE.
func (s *session) listScripts(args []Arg) Reply {
	if len(args) != 0 {
		return replySyntax
	}
	ctx, cancel := s.opContext()
	infos, err := s.srv.d.Scripts.List(ctx, s.acct.Address)
	cancel()
	if err != nil {
		return s.scriptErr("list scripts", err)
	}
	lines := make([]string, 0, len(infos))
	for _, i := range infos {
		l := encodeString(i.Name)
		if i.Active {
			l += " ACTIVE"
		}
		lines = append(lines, l)
	}
	return ok("Listscripts completed").withData(lines...)
}

// scriptOp runs op on the account with the n script names of args, under
// a bounded context; ok is false, with the reply to send, when the
// names are not valid or op fails (what names the operation in logs).
func (s *session) scriptOp(args []Arg, n int, what string, op func(ctx context.Context, addr string, names []string) error) ([]string, Reply, bool) {
	names, r, valid := nameArgs(args, n)
	if !valid {
		return nil, r, false
	}
	ctx, cancel := s.opContext()
	defer cancel()
	if err := op(ctx, s.acct.Address, names); err != nil {
		return nil, s.scriptErr(what, err), false
	}
	return names, Reply{}, true
}

// setActive is SETACTIVE name (RFC 5804 §2.8); "" deactivates.
func (s *session) setActive(args []Arg) Reply {
	names, r, done := s.scriptOp(args, 1, "activate script", func(ctx context.Context, addr string, n []string) error {
		return s.srv.d.Scripts.Activate(ctx, addr, n[0])
	})
	if !done {
		return r
	}
	s.log.Info("script activated", "script", names[0])
	if names[0] == "" {
		return ok("No script is active")
	}
	return ok("Script activated")
}

// getScript is GETSCRIPT name (RFC 5804 §2.9): the script as a literal.
func (s *session) getScript(args []Arg) Reply {
	var src []byte
	_, r, done := s.scriptOp(args, 1, "get script", func(ctx context.Context, addr string, n []string) (err error) {
		src, err = s.srv.d.Scripts.Get(ctx, addr, n[0])
		return err
	})
	if !done {
		return r
	}
	lit := "{" + strconv.Itoa(len(src)) + "}\r\n" + string(src)
	return ok("Getscript completed").withData(lit)
}

// deleteScript is DELETESCRIPT name (RFC 5804 §2.10); the active script
// cannot be deleted.
func (s *session) deleteScript(args []Arg) Reply {
	names, r, done := s.scriptOp(args, 1, "delete script", func(ctx context.Context, addr string, n []string) error {
		return s.srv.d.Scripts.Delete(ctx, addr, n[0])
	})
	if !done {
		return r
	}
	s.log.Info("script deleted", "script", names[0])
	return ok("Script deleted")
}

// renameScript is RENAMESCRIPT old new (RFC 5804 §2.11); the active
// script stays active.
func (s *session) renameScript(args []Arg) Reply {
	names, r, done := s.scriptOp(args, 2, "rename script", func(ctx context.Context, addr string, n []string) error {
		return s.srv.d.Scripts.Rename(ctx, addr, n[0], n[1])
	})
	if !done {
		return r
	}
	s.log.Info("script renamed", "script", names[0], "to", names[1])
	return ok("Script renamed")
}
