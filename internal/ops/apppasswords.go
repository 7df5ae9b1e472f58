package ops

import (
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/accounts"
)

// AppPassword is one app password of an account, as listed (README "App
// passwords"); its secret is shown once, when it is made.
type AppPassword struct {
	Name    string
	Created time.Time
}

// AddAppPassword makes an app password called name for the account that
// has address and returns its secret (accounts.Service.AddAppPassword).
func (d *Directory) AddAppPassword(ctx context.Context, address, name string) (string, error) {
	if err := accounts.CheckAppName(name); err != nil {
		return "", invalid("name", err)
	}
	secret, err := d.acc.AddAppPassword(ctx, address, name)
	return secret, wrapField(err, "address")
}

// AppPasswords lists the app passwords of the account that has address.
func (d *Directory) AppPasswords(ctx context.Context, address string) ([]AppPassword, error) {
	list, err := d.acc.AppPasswords(ctx, address)
	if err != nil {
		return nil, wrapField(err, "address")
	}
	out := make([]AppPassword, 0, len(list))
	for _, a := range list {
		out = append(out, AppPassword(a))
	}
	return out, nil
}

// RevokeAppPassword removes the app password called name of the account
// that has address.
func (d *Directory) RevokeAppPassword(ctx context.Context, address, name string) error {
	return wrapField(d.acc.RevokeAppPassword(ctx, address, name), "address")
}

// SetAppPasswordsOnly turns on or off the refusal of the account's main
// password for IMAP, POP3 and SMTP AUTH while it has app passwords.
func (d *Directory) SetAppPasswordsOnly(ctx context.Context, address string, on bool) error {
	return wrapField(d.acc.SetFlag(ctx, address, accounts.FlagAppPasswordsOnly, on), "address")
}

// SetAdmin makes the account that has address an administrator of the
// admin API (README "Admin API"), or no longer one.
func (d *Directory) SetAdmin(ctx context.Context, address string, on bool) error {
	return wrapField(d.acc.SetFlag(ctx, address, accounts.FlagAdmin, on), "address")
}

// AccountInfo is one account with its addresses, flags and quota.
type AccountInfo struct {
	User
	Admin            bool
	AppPasswordsOnly bool
	Quota            Quota
}

// Account describes the account that has address (any of its
// addresses).
func (d *Directory) Account(ctx context.Context, address string) (AccountInfo, error) {
	q, err := d.Quota(ctx, address)
	if err != nil {
		return AccountInfo{}, wrapField(err, "address")
	}
	flags, err := d.acc.Flags(ctx, address)
	if err != nil {
		return AccountInfo{}, wrapField(err, "address")
	}
	// The account alone: a page view must not read every account.
	u, err := d.acc.User(ctx, address)
	if err != nil {
		return AccountInfo{}, wrapField(err, "address")
	}
	info := AccountInfo{Quota: q, User: User{Address: u.Address, Extra: u.Addresses}}
	for _, f := range flags {
		info.Admin = info.Admin || f == accounts.FlagAdmin
		info.AppPasswordsOnly = info.AppPasswordsOnly || f == accounts.FlagAppPasswordsOnly
	}
	return info, nil
}

// wrapField is wrap, with field named when err is a KindInvalid error
// that names none.
func wrapField(err error, field string) error {
	err = wrap(err)
	if e, ok := err.(*Error); ok && e.Kind == KindInvalid && e.Field == "" {
		c := *e
		c.Field = field
		return &c
	}
	return err
}
