package webui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

// view is what every page template gets.
type view struct {
	Title string
	Base  string // AdminPrefix or AccountPrefix
	User  string // "" before login
	Admin bool
	CSRF  string
	Flash string // what the last action did
	Error string // why it failed
	// Secret is a password shown once (a generated or app password).
	Secret string
	Data   any
}

// pageNames are the templates/NAME.html files; each is parsed with
// layout.html.
var pageNames = []string{"login", "dashboard", "domains", "accounts", "aliases", "queue", "queued", "dkim", "account", "filters"}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"size":    humanSize,
		"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"percent": percent,
		"join":    strings.Join,
		"role":    roleText,
		"inc":     func(i int) int { return i + 1 },
		"int64":   func(i int) int64 { return int64(i) },
		"rule":    ruleText,
		"caret":   func(col int) string { return strings.Repeat(" ", max(col-1, 0)) + "^" },
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, n := range pageNames {
		pages[n] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return pages
}

// render writes page name; a template failure is a 500 with nothing of
// the page sent.
func (u *UI) render(w http.ResponseWriter, status int, name string, v *view) {
	if v.Title == "" {
		v.Title = name
	}
	var b bytes.Buffer
	if err := u.pages[name].Execute(&b, v); err != nil {
		u.Log.Error("web page failed to render", "page", name, "err", err)
		http.Error(w, "this page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fail renders page name with the error of an operation: its message
// (ops.Message, never internal text) and its HTTP status.
func (u *UI) fail(w http.ResponseWriter, name string, v *view, err error) {
	status := ops.KindOf(err).HTTPStatus()
	v.Error = ops.Message(err)
	if opaque(err) {
		u.Log.Error("web operation failed", "user", v.User, "page", name, "err", err)
		v.Error = opaqueText
	}
	u.render(w, status, name, v)
}

// opaqueText is what a page says of an error whose text is not for its
// users (opaque).
const opaqueText = "the operation failed; the server log has the details"

// opaque reports whether err's text stays in the log: an internal error,
// and the store's temporary failures and closing, whose causes are the
// database's own messages (its address, user and name on PostgreSQL).
func opaque(err error) bool {
	return ops.KindOf(err) == ops.KindInternal || store.IsKind(err, store.KindTemporary) ||
		store.IsKind(err, store.KindClosed)
}

// humanSize writes n octets in binary units.
func humanSize(n int64) string {
	const unit = 1024
	if n < 0 {
		return "unknown"
	}
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// percent is used/limit in percent, capped at 100; 0 when unlimited.
func percent(used, limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	p := used * 100 / limit
	return min(p, 100)
}
