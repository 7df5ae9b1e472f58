package webui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

func (u *UI) adminRoutes() {
	p := AdminPrefix
	u.mux.HandleFunc("GET "+p+"login", u.loginForm(p))
	u.mux.HandleFunc("POST "+p+"login", u.login(p))
	for pattern, h := range map[string]pageFunc{
		"POST logout":            u.logout,
		"GET {$}":                u.dashboard,
		"GET domains":            u.domains,
		"POST domains":           u.addDomain,
		"POST domains/delete":    u.deleteDomain,
		"GET accounts":           u.accountList,
		"POST accounts":          u.addAccount,
		"POST accounts/password": u.resetPassword,
		"POST accounts/quota":    u.setQuota,
		"POST accounts/delete":   u.deleteAccount,
		"GET aliases":            u.aliases,
		"POST aliases":           u.addAlias,
		"POST aliases/delete":    u.deleteAlias,
		"GET queue":              u.queue,
		"GET queue/{id}":         u.queued,
		"POST queue/retry":       u.retryQueued,
		"POST queue/delete":      u.deleteQueued,
		"GET dkim":               u.dkimPage,
		"POST dkim":              u.generateKey,
	} {
		method, path, _ := strings.Cut(pattern, " ")
		u.mux.Handle(method+" "+p+path, u.page(p, h))
	}
}

// done renders page with what an action did, or why it failed.
func (u *UI) done(w http.ResponseWriter, r *http.Request, v *view, show pageFunc, flash string, err error) {
	if err != nil {
		v.Error = ops.Message(err)
		status := ops.KindOf(err).HTTPStatus()
		if opaque(err) {
			u.Log.Error("web operation failed", "user", v.User, "path", r.URL.Path, "err", err)
			v.Error = opaqueText
		} else {
			u.Log.Info("web change refused", "user", v.User, "path", r.URL.Path, "status", status)
		}
		w.WriteHeader(status)
	} else {
		u.Log.Info("web change", "user", v.User, "path", r.URL.Path)
		v.Flash = flash
	}
	show(w, r, v)
}

// statusWriter keeps the first status written, so that a page rendered
// after a failed action keeps the action's status.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
		s.ResponseWriter.WriteHeader(code)
	}
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (u *UI) domains(w http.ResponseWriter, r *http.Request, v *view) {
	doms, err := u.Directory.Domains(r.Context())
	v.Title, v.Data = "Domains", doms
	u.show(w, "domains", v, err)
}

// show renders page, or its error.
func (u *UI) show(w http.ResponseWriter, page string, v *view, err error) {
	if err != nil {
		u.fail(w, page, v, err)
		return
	}
	u.render(w, http.StatusOK, page, v)
}

func (u *UI) addDomain(w http.ResponseWriter, r *http.Request, v *view) {
	nd, err := u.Directory.AddDomain(r.Context(), strings.TrimSpace(r.PostFormValue("domain")), "")
	u.act(w, r, v, u.domains, "Domain "+nd.Domain+" added.", err)
}

func (u *UI) deleteDomain(w http.ResponseWriter, r *http.Request, v *view) {
	d := r.PostFormValue("domain")
	err := u.Directory.DeleteDomain(r.Context(), d)
	u.act(w, r, v, u.domains, "Domain "+d+" deleted.", err)
}

// act renders show's page after an action.
func (u *UI) act(w http.ResponseWriter, r *http.Request, v *view, show pageFunc, flash string, err error) {
	u.done(&statusWriter{ResponseWriter: w}, r, v, show, flash, err)
}

// accountRow is an account with its quota.
type accountRow struct {
	ops.User
	Quota ops.Quota
}

func (u *UI) accountList(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	users, err := u.Directory.Users(ctx)
	rows := make([]accountRow, 0, len(users))
	for _, us := range users {
		if err != nil {
			break
		}
		var q ops.Quota
		q, err = u.Directory.Quota(ctx, us.Address)
		rows = append(rows, accountRow{User: us, Quota: q})
	}
	v.Title, v.Data = "Accounts", rows
	u.show(w, "accounts", v, err)
}

func (u *UI) addAccount(w http.ResponseWriter, r *http.Request, v *view) {
	addr := strings.TrimSpace(r.PostFormValue("address"))
	pw, err := u.Directory.AddUser(r.Context(), addr, r.PostFormValue("password"))
	v.Secret = pw.Generated
	u.act(w, r, v, u.accountList, "Account "+addr+" created.", err)
}

func (u *UI) resetPassword(w http.ResponseWriter, r *http.Request, v *view) {
	addr := r.PostFormValue("address")
	pw, err := u.Directory.SetPassword(r.Context(), addr, r.PostFormValue("password"))
	v.Secret = pw.Generated
	u.act(w, r, v, u.accountList, "Password of "+addr+" changed.", err)
}

func (u *UI) setQuota(w http.ResponseWriter, r *http.Request, v *view) {
	addr := r.PostFormValue("address")
	maxBytes, err := parseSize(r.PostFormValue("max_mib"), "max_mib")
	var maxMsgs int64
	if err == nil {
		maxMsgs, err = parseCount(r.PostFormValue("max_messages"), "max_messages")
	}
	if err == nil {
		_, err = u.Directory.SetQuota(r.Context(), addr, maxBytes<<20, maxMsgs)
	}
	u.act(w, r, v, u.accountList, "Quota of "+addr+" set.", err)
}

func (u *UI) deleteAccount(w http.ResponseWriter, r *http.Request, v *view) {
	addr := r.PostFormValue("address")
	err := u.Directory.DeleteUser(r.Context(), addr)
	u.act(w, r, v, u.accountList, "Account "+addr+" deleted.", err)
}

// parseCount reads a limit from a form: empty is 0 (unlimited).
func parseCount(s, field string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, &ops.Error{Kind: ops.KindInvalid, Field: field, Msg: field + ": a whole number, 0 or more (0 = unlimited)"}
	}
	return n, nil
}

// parseSize is parseCount for MiB, bounded so that the octets fit.
func parseSize(s, field string) (int64, error) {
	n, err := parseCount(s, field)
	if err == nil && n > 1<<40 {
		return 0, &ops.Error{Kind: ops.KindInvalid, Field: field, Msg: field + ": too large"}
	}
	return n, err
}

func (u *UI) aliases(w http.ResponseWriter, r *http.Request, v *view) {
	as, err := u.Directory.Aliases(r.Context())
	v.Title, v.Data = "Aliases", as
	u.show(w, "aliases", v, err)
}

func (u *UI) addAlias(w http.ResponseWriter, r *http.Request, v *view) {
	addr := strings.TrimSpace(r.PostFormValue("address"))
	targets := strings.FieldsFunc(r.PostFormValue("targets"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' })
	err := u.Directory.AddAlias(r.Context(), addr, targets)
	u.act(w, r, v, u.aliases, "Alias "+addr+" added.", err)
}

func (u *UI) deleteAlias(w http.ResponseWriter, r *http.Request, v *view) {
	addr := r.PostFormValue("address")
	err := u.Directory.DeleteAlias(r.Context(), addr)
	u.act(w, r, v, u.aliases, "Alias "+addr+" deleted.", err)
}

// noQueue is the error of the queue pages on a server without one.
var noQueue = &ops.Error{Kind: ops.KindUnavailable, Msg: "this server has no outbound queue"}

// hasQueue reports whether the server has a queue, else renders page
// with the error.
func (u *UI) hasQueue(w http.ResponseWriter, v *view, page string) bool {
	if u.Queue == nil {
		u.fail(w, page, v, noQueue)
	}
	return u.Queue != nil
}

func (u *UI) queue(w http.ResponseWriter, r *http.Request, v *view) {
	v.Title = "Queue"
	if !u.hasQueue(w, v, "queue") {
		return
	}
	msgs, err := u.Queue.List(r.Context())
	v.Data = msgs
	u.show(w, "queue", v, err)
}

func (u *UI) queued(w http.ResponseWriter, r *http.Request, v *view) {
	v.Title = "Queued message"
	if !u.hasQueue(w, v, "queued") {
		return
	}
	msgs, err := u.Queue.Show(r.Context(), r.PathValue("id"))
	v.Data = msgs
	u.show(w, "queued", v, err)
}

func (u *UI) retryQueued(w http.ResponseWriter, r *http.Request, v *view) {
	if !u.hasQueue(w, v, "queue") {
		return
	}
	id := r.PostFormValue("id")
	n, err := u.Queue.Retry(r.Context(), id)
	u.act(w, r, v, u.queue, strconv.Itoa(n)+" recipient(s) of "+id+" will be tried again now.", err)
}

func (u *UI) deleteQueued(w http.ResponseWriter, r *http.Request, v *view) {
	if !u.hasQueue(w, v, "queue") {
		return
	}
	id := r.PostFormValue("id")
	ids, err := u.Queue.Delete(r.Context(), id)
	u.act(w, r, v, u.queue, "Deleted from the queue: "+strings.Join(ids, ", ")+".", err)
}

// queueTotal counts the recipients still to deliver.
func queueTotal(c store.QueueCounts) int64 {
	return c[store.RcptPending] + c[store.RcptDeferred]
}
