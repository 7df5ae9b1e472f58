package ops

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/store"
)

// Accounts is what the Directory needs of accounts.Service.
type Accounts interface {
	AddDomain(ctx context.Context, domain string) error
	// Resolve and Postmaster tell where mail for an address, and for the
	// role addresses (postmaster@, abuse@) of a domain without its own,
	// goes (accounts.Service.Postmaster).
	Resolve(ctx context.Context, address string) (accounts.Resolution, error)
	Postmaster(ctx context.Context, configured string) (string, error)
	DeleteDomain(ctx context.Context, domain string) error
	Domains(ctx context.Context) ([]string, error)
	IsLocalDomain(ctx context.Context, domain string) (bool, error)
	AddUser(ctx context.Context, address, password string) (store.Account, error)
	SetPassword(ctx context.Context, address, password string) error
	DeleteUser(ctx context.Context, address string) error
	Users(ctx context.Context) ([]accounts.User, error)
	User(ctx context.Context, address string) (accounts.User, error)
	AddAddress(ctx context.Context, accountAddress, extra string) error
	DeleteAddress(ctx context.Context, address string) error
	AddAlias(ctx context.Context, address string, targets []string) error
	DeleteAlias(ctx context.Context, address string) error
	Aliases(ctx context.Context) (map[string][]string, error)
	Quota(ctx context.Context, address string) (store.Quota, error)
	SetQuota(ctx context.Context, address string, maxBytes, maxMessages int64) error
	AddAppPassword(ctx context.Context, address, name string) (string, error)
	AppPasswords(ctx context.Context, address string) ([]accounts.AppPassword, error)
	RevokeAppPassword(ctx context.Context, address, name string) error
	SetFlag(ctx context.Context, address string, f accounts.Flag, on bool) error
	Flags(ctx context.Context, address string) ([]accounts.Flag, error)
}

// Directory manages domains, accounts, their addresses, aliases and quotas.
type Directory struct {
	acc        Accounts
	postmaster string // delivery.postmaster
}

// NewDirectory returns the directory operations on acc; postmaster is the
// configured delivery.postmaster ("" when none).
func NewDirectory(acc Accounts, postmaster string) *Directory {
	return &Directory{acc: acc, postmaster: postmaster}
}

// DeleteDomain removes a local domain (refused while it has accounts or
// aliases).
func (d *Directory) DeleteDomain(ctx context.Context, domain string) error {
	return wrap(d.acc.DeleteDomain(ctx, domain))
}

// Domains lists the local domains, sorted.
func (d *Directory) Domains(ctx context.Context) ([]string, error) {
	ds, err := d.acc.Domains(ctx)
	return ds, wrap(err)
}

// IsLocalDomain reports whether domain is one of the local domains.
func (d *Directory) IsLocalDomain(ctx context.Context, domain string) (bool, error) {
	local, err := d.acc.IsLocalDomain(ctx, domain)
	return local, wrap(err)
}

// Reaches reports whether mail to address, in a local domain, is
// delivered to someone: it resolves to an account or a forward, or it is a
// role address (postmaster@, abuse@) whose mail delivery sends to
// accounts.Service.Postmaster's mailbox. An address in another domain does
// not reach anyone here.
func (d *Directory) Reaches(ctx context.Context, address string) (bool, error) {
	_, err := d.acc.Resolve(ctx, address)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, accounts.ErrNotLocal):
		return false, nil
	case !store.IsKind(err, store.KindNotFound):
		return false, wrap(err)
	}
	if a, perr := mailaddr.Parse(address); perr != nil || !accounts.IsRole(a.Local) {
		return false, nil
	}
	_, err = d.acc.Postmaster(ctx, d.postmaster)
	if store.IsKind(err, store.KindNotFound) {
		return false, nil
	}
	return err == nil, wrap(err)
}

// Password is the outcome of setting a password.
type Password struct {
	// Generated is the password made for the caller, who shows it once;
	// "" when the caller gave the password.
	Generated string
}

// NewPassword returns a random password: 26 characters of base32, 130 bits.
func NewPassword() string { return rand.Text() }

// withPassword calls set with password, or with a new random one when
// password is "".
func withPassword(password string, set func(string) error) (Password, error) {
	var res Password
	if password == "" {
		res.Generated = NewPassword()
		password = res.Generated
	}
	if err := set(password); err != nil {
		return Password{}, wrap(err)
	}
	return res, nil
}

// AddUser creates an account with address as its primary address. An
// empty password asks for a generated one, returned in the result.
func (d *Directory) AddUser(ctx context.Context, address, password string) (Password, error) {
	return withPassword(password, func(pw string) error {
		_, err := d.acc.AddUser(ctx, address, pw)
		return wrapField(err, "address")
	})
}

// SetPassword replaces the password of the account that has address; an
// empty password asks for a generated one.
func (d *Directory) SetPassword(ctx context.Context, address, password string) (Password, error) {
	return withPassword(password, func(pw string) error { return wrapField(d.acc.SetPassword(ctx, address, pw), "address") })
}

// DeleteUser deletes the account whose primary address is address.
func (d *Directory) DeleteUser(ctx context.Context, address string) error {
	return wrap(d.acc.DeleteUser(ctx, address))
}

// User is one account.
type User struct {
	Address string   // the primary address
	Extra   []string // the extra addresses, sorted
}

// Users lists the accounts, sorted by primary address.
func (d *Directory) Users(ctx context.Context) ([]User, error) {
	us, err := d.acc.Users(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]User, 0, len(us))
	for _, u := range us {
		extra := slices.DeleteFunc(slices.Clone(u.Addresses), func(s string) bool { return s == u.Address })
		out = append(out, User{Address: u.Address, Extra: extra})
	}
	return out, nil
}

// AddAddress gives the account that has accountAddress an extra address.
func (d *Directory) AddAddress(ctx context.Context, accountAddress, extra string) error {
	return wrap(d.acc.AddAddress(ctx, accountAddress, extra))
}

// DeleteAddress removes an extra address from its account.
func (d *Directory) DeleteAddress(ctx context.Context, address string) error {
	return wrap(d.acc.DeleteAddress(ctx, address))
}

// DeleteExtraAddress removes extra from the account that has
// accountAddress; it is refused (KindNotFound) unless extra is one of that
// account's extra addresses, so that a typo cannot strip another account.
func (d *Directory) DeleteExtraAddress(ctx context.Context, accountAddress, extra string) error {
	acct, err1 := canonicalAddress(accountAddress)
	ex, err2 := canonicalAddress(extra)
	if err1 != nil {
		return invalid("address", err1)
	}
	if err2 != nil {
		return invalid("address", err2)
	}
	users, err := d.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Address == acct && slices.Contains(u.Extra, ex) {
			return d.DeleteAddress(ctx, extra)
		}
	}
	return &Error{Kind: KindNotFound, Field: "address",
		Msg: fmt.Sprintf("%s is not an extra address of the account %s", extra, accountAddress)}
}

// canonicalAddress is the stored form of an address (mailaddr.Canonical).
func canonicalAddress(s string) (string, error) {
	a, err := mailaddr.Parse(s)
	if err != nil {
		return "", err
	}
	if a, err = mailaddr.Canonical(a); err != nil {
		return "", err
	}
	return a.String(), nil
}

// Alias is one alias and where it forwards to.
type Alias struct {
	Address string // canonical; "@domain" is a catch-all
	Targets []string
}

// AddAlias makes address forward to targets.
func (d *Directory) AddAlias(ctx context.Context, address string, targets []string) error {
	if dom, ok := strings.CutPrefix(address, "@"); ok {
		if _, err := mailaddr.CanonicalDomain(dom); err != nil {
			return invalid("address", err)
		}
	} else if _, err := canonicalAddress(address); err != nil {
		return invalid("address", err)
	}
	if len(targets) == 0 {
		return invalid("targets", errors.New("an alias needs at least one target"))
	}
	for _, t := range targets {
		if _, err := mailaddr.Parse(strings.TrimSpace(t)); err != nil {
			return invalid("targets", fmt.Errorf("target %q: %w", t, err))
		}
	}
	return wrapField(d.acc.AddAlias(ctx, address, targets), "targets")
}

// DeleteAlias removes an alias.
func (d *Directory) DeleteAlias(ctx context.Context, address string) error {
	return wrap(d.acc.DeleteAlias(ctx, address))
}

// Aliases lists the aliases, sorted by address.
func (d *Directory) Aliases(ctx context.Context) ([]Alias, error) {
	m, err := d.acc.Aliases(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]Alias, 0, len(m))
	for addr, targets := range m {
		out = append(out, Alias{Address: addr, Targets: targets})
	}
	slices.SortFunc(out, func(a, b Alias) int { return strings.Compare(a.Address, b.Address) })
	return out, nil
}

// Quota is an account's usage and limits; a limit of 0 is unlimited.
type Quota struct {
	UsedMessages, MaxMessages int64
	UsedBytes, MaxBytes       int64
}

// Quota returns the usage and limits of the account that has address.
func (d *Directory) Quota(ctx context.Context, address string) (Quota, error) {
	q, err := d.acc.Quota(ctx, address)
	if err != nil {
		return Quota{}, wrap(err)
	}
	return Quota{UsedMessages: q.UsedMessages, MaxMessages: q.MaxMessages, UsedBytes: q.UsedBytes, MaxBytes: q.MaxBytes}, nil
}

// SetQuota sets the limits of the account that has address (0 =
// unlimited, negative values are refused) and returns its quota.
func (d *Directory) SetQuota(ctx context.Context, address string, maxBytes, maxMessages int64) (Quota, error) {
	if err := d.acc.SetQuota(ctx, address, maxBytes, maxMessages); err != nil {
		return Quota{}, wrap(err)
	}
	return d.Quota(ctx, address)
}

// SetQuotaLimits sets the limits that are not nil and keeps the others as
// they are (0 = unlimited), and returns the account's quota.
func (d *Directory) SetQuotaLimits(ctx context.Context, address string, maxBytes, maxMessages *int64) (Quota, error) {
	if maxBytes != nil && *maxBytes < 0 {
		return Quota{}, invalid("max_bytes", errors.New("a quota limit must not be negative (0 = unlimited)"))
	}
	if maxMessages != nil && *maxMessages < 0 {
		return Quota{}, invalid("max_messages", errors.New("a quota limit must not be negative (0 = unlimited)"))
	}
	q, err := d.Quota(ctx, address)
	if err != nil {
		return Quota{}, err
	}
	if maxBytes != nil {
		q.MaxBytes = *maxBytes
	}
	if maxMessages != nil {
		q.MaxMessages = *maxMessages
	}
	return d.SetQuota(ctx, address, q.MaxBytes, q.MaxMessages)
}
