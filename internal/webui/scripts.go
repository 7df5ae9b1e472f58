package webui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/sieve"
)

// maxScriptForm bounds the raw editor's post: a script of the default
// limit (1 MiB, sieve.DefaultLimits) form-encoded.
const maxScriptForm = 4 << 20

// rawForm is the raw editor: one script's name and text and, after a
// failed save, where the compiler stopped.
type rawForm struct {
	Name     string
	Text     string
	Exists   bool // Name is stored
	Active   bool // Name is the active script
	Activate bool // the form's "activate" box
	// ErrLine and ErrCol locate a compile error (from 1); ErrText is
	// that line of the script.
	ErrLine, ErrCol int
	ErrText         string
}

// pickRaw fills the raw editor: ?script=NAME, else the active script,
// else the rules script, else the first, else a new one.
func (u *UI) pickRaw(r *http.Request, addr string, d *filtersData) error {
	name := r.URL.Query().Get("script")
	if name == "" {
		name = d.Active
	}
	for _, s := range d.Scripts {
		if name == "" && s.Name == RulesScript {
			name = s.Name
		}
	}
	if name == "" && len(d.Scripts) > 0 {
		name = d.Scripts[0].Name
	}
	if name == "" {
		name = "my-filters"
	}
	d.Raw = rawForm{Name: name, Activate: true}
	for _, s := range d.Scripts {
		if s.Name == name {
			d.Raw.Exists, d.Raw.Active, d.Raw.Activate = true, s.Active, s.Active || d.Active == ""
		}
	}
	if !d.Raw.Exists {
		return nil
	}
	src, err := u.Scripts.Get(r.Context(), addr, name)
	d.Raw.Text = string(src)
	return err
}

// compileError is the line and column of a script's compile error.
func compileError(err error) (line, col int, ok bool) {
	var se *sieve.Error
	if errors.As(err, &se) {
		return se.Pos.Line, se.Pos.Col, true
	}
	return 0, 0, false
}

// lineOf is line n (from 1) of text, without its end.
func lineOf(text string, n int) string {
	for i := 1; i < n; i++ {
		_, rest, ok := strings.Cut(text, "\n")
		if !ok {
			return ""
		}
		text = rest
	}
	line, _, _ := strings.Cut(text, "\n")
	return strings.TrimSuffix(line, "\r")
}

// putScript saves the raw editor's script (compiled first: an error is
// shown with its line and column, the text kept in the form) and
// activates it when asked.
func (u *UI) putScript(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	name, text, activate := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("script"), r.PostFormValue("activate") == "1"
	err := u.scriptsOn()
	if err == nil {
		err = scriptError(u.Scripts.Put(ctx, v.User, name, []byte(text)))
	}
	if err == nil && activate {
		err = scriptError(u.Scripts.Activate(ctx, v.User, name))
	}
	flash := "Script " + name + " saved."
	if activate {
		flash = "Script " + name + " saved and active."
	}
	u.act(w, r, v, u.showFilters(func(d *filtersData) {
		d.Raw.Name, d.Raw.Activate = name, activate
		if err == nil {
			return
		}
		d.Raw.Text = text // the user's text back, not the stored one
		if line, col, ok := compileError(err); ok {
			d.Raw.ErrLine, d.Raw.ErrCol, d.Raw.ErrText = line, col, lineOf(text, line)
		}
	}), flash, err)
}

// activateScript makes the form's script active; an empty name turns
// filtering off.
func (u *UI) activateScript(w http.ResponseWriter, r *http.Request, v *view) {
	name := r.PostFormValue("name")
	err := u.scriptsOn()
	if err == nil {
		err = scriptError(u.Scripts.Activate(r.Context(), v.User, name))
	}
	flash := "Script " + name + " is active."
	if name == "" {
		flash = "No script is active: mail goes to the inbox unfiltered."
	}
	u.act(w, r, v, u.showFilters(nil), flash, err)
}

// deleteScript deletes a script that is not active.
func (u *UI) deleteScript(w http.ResponseWriter, r *http.Request, v *view) {
	name := r.PostFormValue("name")
	err := u.scriptsOn()
	if err == nil {
		err = scriptError(u.Scripts.Delete(r.Context(), v.User, name))
	}
	u.act(w, r, v, u.showFilters(nil), "Script "+name+" deleted.", err)
}

var errNoScripts = &ops.Error{Kind: ops.KindUnavailable, Msg: "this server keeps no filters"}

func (u *UI) scriptsOn() error {
	if u.Scripts == nil {
		return errNoScripts
	}
	return nil
}
