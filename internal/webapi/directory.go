package webapi

import (
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/ops"
)

// Domains.

type domainJSON struct {
	Domain  string `json:"domain"`            // A-label form
	Unicode string `json:"unicode,omitempty"` // its Unicode form, for an IDN
}

func listDomains(a *api, c *call) (reply, error) {
	ds, err := a.Directory.Domains(c.ctx)
	if err != nil {
		return reply{}, err
	}
	out := make([]domainJSON, 0, len(ds))
	for _, d := range ds {
		j := domainJSON{Domain: d}
		if u := mailaddr.DisplayDomain(d); u != d {
			j.Unicode = u
		}
		out = append(out, j)
	}
	return ok(map[string]any{"domains": out})
}

func addDomain(a *api, c *call) (reply, error) {
	var in struct {
		Domain     string `json:"domain"`
		Postmaster string `json:"postmaster"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	if err := required("domain", in.Domain); err != nil {
		return reply{}, err
	}
	nd, err := a.Directory.AddDomain(c.ctx, in.Domain, in.Postmaster)
	if err != nil {
		return reply{}, err
	}
	via := map[ops.Where]string{ops.ViaAliases: "aliases", ops.ViaConfig: "config", ops.ViaFallback: "fallback", ops.Nowhere: "nowhere"}[nd.Via]
	return created(map[string]any{"domain": nd.Domain, "roles": nd.Roles, "postmaster": nd.Postmaster, "via": via})
}

func deleteDomain(a *api, c *call) (reply, error) {
	return done(a.Directory.DeleteDomain(c.ctx, c.arg("domain")))
}

// Accounts.

type quotaJSON struct {
	UsedMessages int64 `json:"used_messages"`
	MaxMessages  int64 `json:"max_messages"`
	UsedBytes    int64 `json:"used_bytes"`
	MaxBytes     int64 `json:"max_bytes"`
}

func quotaOf(q ops.Quota) quotaJSON {
	return quotaJSON{UsedMessages: q.UsedMessages, MaxMessages: q.MaxMessages, UsedBytes: q.UsedBytes, MaxBytes: q.MaxBytes}
}

type accountJSON struct {
	Address string   `json:"address"`
	Extra   []string `json:"extra"`
}

func listAccounts(a *api, c *call) (reply, error) {
	us, err := a.Directory.Users(c.ctx)
	if err != nil {
		return reply{}, err
	}
	out := make([]accountJSON, 0, len(us))
	for _, u := range us {
		out = append(out, accountJSON{Address: u.Address, Extra: nonNil(u.Extra)})
	}
	return ok(map[string]any{"accounts": out})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// passwordJSON answers a password set: the generated one, shown once.
type passwordJSON struct {
	Address           string `json:"address"`
	GeneratedPassword string `json:"generated_password,omitempty"`
}

func addAccount(a *api, c *call) (reply, error) {
	var in struct {
		Address  string `json:"address"`
		Password string `json:"password"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	if err := required("address", in.Address); err != nil {
		return reply{}, err
	}
	pw, err := a.Directory.AddUser(c.ctx, in.Address, in.Password)
	if err != nil {
		return reply{}, err
	}
	return created(passwordJSON{Address: in.Address, GeneratedPassword: pw.Generated})
}

func showAccount(a *api, c *call) (reply, error) {
	info, err := a.Directory.Account(c.ctx, c.arg("address"))
	if err != nil {
		return reply{}, err
	}
	return ok(map[string]any{"address": info.Address, "extra": nonNil(info.Extra), "admin": info.Admin,
		"app_passwords_only": info.AppPasswordsOnly, "quota": quotaOf(info.Quota)})
}

func patchAccount(a *api, c *call) (reply, error) {
	var in struct {
		AppPasswordsOnly *bool `json:"app_passwords_only"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	if in.AppPasswordsOnly == nil {
		return reply{}, invalidField("app_passwords_only", "app_passwords_only is required")
	}
	if err := a.Directory.SetAppPasswordsOnly(c.ctx, c.arg("address"), *in.AppPasswordsOnly); err != nil {
		return reply{}, err
	}
	return showAccount(a, c)
}

func deleteAccount(a *api, c *call) (reply, error) {
	return done(a.Directory.DeleteUser(c.ctx, c.arg("address")))
}

func setPassword(a *api, c *call) (reply, error) {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	pw, err := a.Directory.SetPassword(c.ctx, c.arg("address"), in.Password)
	if err != nil {
		return reply{}, err
	}
	return ok(passwordJSON{Address: c.arg("address"), GeneratedPassword: pw.Generated})
}

func showQuota(a *api, c *call) (reply, error) {
	q, err := a.Directory.Quota(c.ctx, c.arg("address"))
	if err != nil {
		return reply{}, err
	}
	return ok(quotaOf(q))
}

func setQuota(a *api, c *call) (reply, error) {
	var in struct {
		MaxBytes    *int64 `json:"max_bytes"`
		MaxMessages *int64 `json:"max_messages"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	if in.MaxBytes == nil && in.MaxMessages == nil {
		return reply{}, invalidField("max_bytes", "give max_bytes, max_messages or both (0 = unlimited)")
	}
	q, err := a.Directory.SetQuotaLimits(c.ctx, c.arg("address"), in.MaxBytes, in.MaxMessages)
	if err != nil {
		return reply{}, err
	}
	return ok(quotaOf(q))
}

func addAddress(a *api, c *call) (reply, error) {
	var in struct {
		Address string `json:"address"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	if err := required("address", in.Address); err != nil {
		return reply{}, err
	}
	if err := a.Directory.AddAddress(c.ctx, c.arg("address"), in.Address); err != nil {
		return reply{}, err
	}
	return created(map[string]string{"account": c.arg("address"), "address": in.Address})
}

func deleteAddress(a *api, c *call) (reply, error) {
	return done(a.Directory.DeleteExtraAddress(c.ctx, c.arg("address"), c.arg("extra")))
}

// App passwords.

type appPasswordJSON struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created,omitzero"`
	Password string    `json:"password,omitempty"` // when made: shown once
}

func listAppPasswords(a *api, c *call) (reply, error) {
	list, err := a.Directory.AppPasswords(c.ctx, c.arg("address"))
	if err != nil {
		return reply{}, err
	}
	out := make([]appPasswordJSON, 0, len(list))
	for _, p := range list {
		out = append(out, appPasswordJSON{Name: p.Name, Created: p.Created})
	}
	return ok(map[string]any{"app_passwords": out})
}

func addAppPassword(a *api, c *call) (reply, error) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	secret, err := a.Directory.AddAppPassword(c.ctx, c.arg("address"), in.Name)
	if err != nil {
		return reply{}, err
	}
	return created(appPasswordJSON{Name: in.Name, Password: secret})
}

func revokeAppPassword(a *api, c *call) (reply, error) {
	return done(a.Directory.RevokeAppPassword(c.ctx, c.arg("address"), c.arg("name")))
}

func unlock(a *api, c *call) (reply, error) {
	var in struct {
		Client string `json:"client"`
	}
	if err := decodeOptional(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	res, err := a.Logins.Unlock(c.ctx, c.arg("address"), in.Client)
	if err != nil {
		return reply{}, err
	}
	return ok(map[string]bool{"account": res.Account, "client": res.Client})
}

// Aliases.

func listAliases(a *api, c *call) (reply, error) {
	as, err := a.Directory.Aliases(c.ctx)
	if err != nil {
		return reply{}, err
	}
	type aliasJSON struct {
		Address string   `json:"address"`
		Targets []string `json:"targets"`
	}
	out := make([]aliasJSON, 0, len(as))
	for _, al := range as {
		out = append(out, aliasJSON{Address: al.Address, Targets: nonNil(al.Targets)})
	}
	return ok(map[string]any{"aliases": out})
}

func addAlias(a *api, c *call) (reply, error) {
	var in struct {
		Address string   `json:"address"`
		Targets []string `json:"targets"`
	}
	if err := decode(c.w, c.r, &in); err != nil {
		return reply{}, err
	}
	if err := required("address", in.Address); err != nil {
		return reply{}, err
	}
	if err := a.Directory.AddAlias(c.ctx, in.Address, in.Targets); err != nil {
		return reply{}, err
	}
	return created(map[string]any{"address": in.Address, "targets": in.Targets})
}

func deleteAlias(a *api, c *call) (reply, error) {
	return done(a.Directory.DeleteAlias(c.ctx, c.arg("address")))
}
