package webui

import (
	"net/http"
	"strings"

	"github.com/petrelmail/petrel/internal/dnsplan"
	"github.com/petrelmail/petrel/internal/ops"
)

// dkimData is the DKIM page: the domains, the keys of the chosen one with
// their records, and, when asked, the check of its records against DNS.
type dkimData struct {
	Domains []string
	Domain  string
	Keys    []ops.KeyState
	Checked *ops.Checked
}

var noDKIM = &ops.Error{Kind: ops.KindUnavailable, Msg: "DKIM keys are not available on this server"}

func (u *UI) dkimPage(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	v.Title = "DKIM keys"
	data := &dkimData{Domain: r.FormValue("domain")}
	v.Data = data
	if u.DKIM == nil {
		u.fail(w, "dkim", v, noDKIM)
		return
	}
	doms, err := u.Directory.Domains(ctx)
	if err != nil {
		u.fail(w, "dkim", v, err)
		return
	}
	data.Domains = doms
	if data.Domain == "" && len(doms) > 0 {
		data.Domain = doms[0]
	}
	if data.Domain == "" {
		u.render(w, http.StatusOK, "dkim", v)
		return
	}
	keys, err := u.DKIM.List(ctx, data.Domain)
	if err != nil {
		u.fail(w, "dkim", v, err)
		return
	}
	data.Keys = keys.Keys
	if r.FormValue("check") != "" && u.DNS != nil {
		c, err := u.DNS.Check(ctx, data.Domain, "")
		if err != nil {
			u.fail(w, "dkim", v, err)
			return
		}
		data.Checked = &c
	}
	u.render(w, http.StatusOK, "dkim", v)
}

func (u *UI) generateKey(w http.ResponseWriter, r *http.Request, v *view) {
	if u.DKIM == nil {
		u.fail(w, "dkim", v, noDKIM)
		return
	}
	req := ops.GenerateRequest{Domain: r.PostFormValue("domain"), Selector: strings.TrimSpace(r.PostFormValue("selector")),
		Algorithm: r.PostFormValue("algorithm")}
	g, err := u.DKIM.Generate(r.Context(), req)
	flash := "Key " + g.Key.Selector + " made: publish its record (below) before it signs."
	u.act(w, r, v, u.dkimPage, flash, err)
}

// roleText says what a key does in a rotation.
func roleText(k ops.KeyState) string {
	switch k.Role {
	case dnsplan.KeySigns:
		return "signs"
	case dnsplan.KeyNext:
		return "signs from " + k.From.UTC().Format("2006-01-02 15:04 UTC") + " in place of " + k.Replaces + ": publish its record before then"
	}
	return "replaced: remove its record once mail signed with it is delivered"
}
