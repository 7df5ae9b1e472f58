package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/accounts"
	"github.com/petrelmail/petrel/internal/admin"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/store"
)

// subcommand is one verb of domain, user or alias.
type subcommand struct {
	args     string // usage of the positional arguments
	min, max int    // number of positional arguments (max < 0: any)
	password bool   // accepts --password-stdin
	run      func(ctx context.Context, c *call) error
}

// call is one run of a subcommand: its arguments and the open services.
type call struct {
	app      *app
	opts     options
	args     []string
	dir      *ops.Directory
	password string // read from stdin before the store is opened
	// cfg and st are the configuration and the store under dir.
	cfg *config.Config
	st  store.Store
}

// runGroup parses a command group's arguments, checks them, and runs the
// chosen subcommand against the store. Usage errors are found before
// anything is opened.
func (a *app) runGroup(ctx context.Context, group string, subs map[string]subcommand, args []string) error {
	opts, pos, err := parseArgs(group, args, true)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(pos) == 0 {
		return usageErrorf("%s: missing subcommand (%s)", group, strings.Join(names, ", "))
	}
	sub, ok := subs[pos[0]]
	if !ok {
		return usageErrorf("%s: unknown subcommand %q (want %s)", group, pos[0], strings.Join(names, ", "))
	}
	c := &call{app: a, opts: opts, args: pos[1:]}
	if len(c.args) < sub.min || (sub.max >= 0 && len(c.args) > sub.max) {
		return usageErrorf("usage: petrel %s %s %s", group, pos[0], sub.args)
	}
	if opts.passwordStdin && !sub.password {
		return usageErrorf("%s %s: --password-stdin is not accepted here", group, pos[0])
	}
	if opts.passwordStdin {
		if c.password, err = readPassword(a.stdin); err != nil {
			return err
		}
	}
	return a.withDirectory(ctx, opts, func(cfg *config.Config, st store.Store, dir *ops.Directory) error {
		c.cfg, c.st, c.dir = cfg, st, dir
		return sub.run(ctx, c)
	})
}

// withDirectory loads the configuration, opens the store and runs f with
// them and the directory operations; the store is closed afterwards.
func (a *app) withDirectory(ctx context.Context, opts options, f func(*config.Config, store.Store, *ops.Directory) error) error {
	return a.withStore(ctx, opts, func(cfg *config.Config, st store.Store) error {
		if err := f(cfg, st, directoryOf(cfg, st)); err != nil {
			var ce *cliError
			if errors.As(err, &ce) {
				return err // a usage error found once the store is open keeps its status
			}
			return &cliError{code: exitFail, lines: []string{errText(err)}}
		}
		return nil
	})
}

// directoryOf is the directory operations on an open store.
func directoryOf(cfg *config.Config, st store.Store) *ops.Directory {
	return ops.NewDirectory(accounts.New(st, accounts.Options{SubaddressSeparator: cfg.SMTP.SubaddressSeparator}), cfg.Delivery.Postmaster)
}

// withStore loads the configuration, opens the store and runs f with
// them; the store is closed afterwards. f's error is returned as it is.
func (a *app) withStore(ctx context.Context, opts options, f func(*config.Config, store.Store) error) (err error) {
	return a.withStoreCache(ctx, opts, 0, f)
}

// withStoreCache is withStore with the SQLite writer's page cache of
// cacheKiB (openStoreCache).
func (a *app) withStoreCache(ctx context.Context, opts options, cacheKiB int, f func(*config.Config, store.Store) error) (err error) {
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	st, err := openStoreCache(ctx, cfg, cliLogger(a.stderr, cfg), nil, false, cacheKiB)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the store: %w", cerr)
		}
	}()
	return f(cfg, st)
}

// readPassword reads a password from r: everything up to the end, less one
// trailing line break. Empty passwords and line breaks inside are refused.
func readPassword(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), 4097))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if len(data) > 4096 {
		return "", fmt.Errorf("password on standard input is longer than 4096 bytes")
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	switch {
	case pw == "":
		return "", fmt.Errorf("password is empty")
	case strings.ContainsAny(pw, "\r\n"):
		return "", fmt.Errorf("password contains a line break")
	}
	return pw, nil
}

// newPassword is the password of a new account: ops.NewPassword (serve.go
// makes the demo account's with it).
func newPassword() string { return ops.NewPassword() }

// setPassword calls set with the password read from stdin, or with ""
// for a new random one, which is shown once after set succeeded (stdout
// gets the password alone, for scripts).
func (c *call) setPassword(address string, set func(password string) (ops.Password, error)) error {
	res, err := set(c.password)
	if err != nil || res.Generated == "" {
		return err
	}
	fmt.Fprintf(c.app.stderr, "petrel: generated password for %s (shown once):\n", address)
	fmt.Fprintln(c.app.stdout, res.Generated)
	return nil
}

func (a *app) domainCmd(ctx context.Context, args []string) error {
	postmaster, args, err := takeValueFlag("domain", args, "postmaster")
	if err != nil {
		return err
	}
	if postmaster != "" && !slices.Contains(args, "add") {
		return usageErrorf("domain: --postmaster belongs to domain add")
	}
	return a.runGroup(ctx, "domain", map[string]subcommand{
		"add": {args: "DOMAIN [--postmaster ADDRESS]", min: 1, max: 1, run: func(ctx context.Context, c *call) error {
			nd, err := c.dir.AddDomain(ctx, c.args[0], postmaster)
			if err == nil {
				fmt.Fprintln(c.app.stdout, rolesLine(nd))
			}
			return err
		}},
		"del": {args: "DOMAIN", min: 1, max: 1, run: func(ctx context.Context, c *call) error {
			return c.dir.DeleteDomain(ctx, c.args[0])
		}},
		"list": {max: 0, run: func(ctx context.Context, c *call) error {
			domains, err := c.dir.Domains(ctx)
			for _, d := range domains {
				// An IDN is stored as its A-label; its Unicode form goes beside it.
				if u := mailaddr.DisplayDomain(d); u != d {
					fmt.Fprintf(c.app.stdout, "%s\t%s\n", d, u)
				} else {
					fmt.Fprintln(c.app.stdout, d)
				}
			}
			return err
		}},
	}, args)
}

// rolesLine says where a new domain's postmaster@ and abuse@ go (RFC 5321
// §4.5.1, RFC 2142 §2; README "Going live").
func rolesLine(nd ops.NewDomain) string {
	roles := strings.Join(nd.Roles, " and ")
	switch nd.Via {
	case ops.ViaAliases:
		return fmt.Sprintf("%s: aliases of %s", roles, nd.Postmaster)
	case ops.ViaConfig:
		return fmt.Sprintf("%s go to %s (delivery.postmaster)", roles, nd.Postmaster)
	case ops.ViaFallback:
		return fmt.Sprintf("%s go to %s (to choose: petrel alias add postmaster@%s ADDRESS; abuse@ follows postmaster@)", roles, nd.Postmaster, nd.Domain)
	}
	return fmt.Sprintf("%s go to the first account you create (to choose: petrel alias add postmaster@%s ADDRESS; abuse@ follows postmaster@)", roles, nd.Domain)
}

func (a *app) userCmd(ctx context.Context, args []string) error {
	lim, args, err := takeQuotaFlags(args)
	if err != nil {
		return err
	}
	return a.runGroup(ctx, "user", map[string]subcommand{
		"add": {args: "ADDRESS [--password-stdin]", min: 1, max: 1, password: true,
			run: func(ctx context.Context, c *call) error {
				return c.setPassword(c.args[0], func(pw string) (ops.Password, error) {
					return c.dir.AddUser(ctx, c.args[0], pw)
				})
			}},
		"passwd": {args: "ADDRESS [--password-stdin]", min: 1, max: 1, password: true,
			run: func(ctx context.Context, c *call) error {
				return c.setPassword(c.args[0], func(pw string) (ops.Password, error) {
					return c.dir.SetPassword(ctx, c.args[0], pw)
				})
			}},
		"del": {args: "ADDRESS", min: 1, max: 1, run: func(ctx context.Context, c *call) error {
			return c.dir.DeleteUser(ctx, c.args[0])
		}},
		"quota": {args: "ADDRESS [MAX_SIZE MAX_MESSAGES] [--bytes N] [--messages N]", min: 1, max: 3,
			run: func(ctx context.Context, c *call) error { return userQuota(ctx, c, lim) }},
		"address":      {args: "add|del ADDRESS EXTRA", min: 3, max: 3, run: userAddress},
		"unlock":       {args: "ADDRESS [CLIENT_IP]", min: 1, max: 2, run: userUnlock},
		"admin":        {args: "ADDRESS on|off", min: 2, max: 2, run: userAdmin},
		"app-password": {args: "add|list|revoke|only ADDRESS [NAME|on|off]", min: 2, max: 3, run: userAppPassword},
		"send-limit":   {args: "ADDRESS [MSGS_HOUR MSGS_DAY RCPTS_HOUR RCPTS_DAY | default]", min: 1, max: 5, run: userSendLimit},
		"list": {max: 0, run: func(ctx context.Context, c *call) error {
			users, err := c.dir.Users(ctx)
			for _, u := range users {
				if len(u.Extra) == 0 {
					fmt.Fprintln(c.app.stdout, u.Address)
				} else {
					fmt.Fprintf(c.app.stdout, "%s\t%s\n", u.Address, strings.Join(u.Extra, ","))
				}
			}
			return err
		}},
	}, args)
}

func (a *app) aliasCmd(ctx context.Context, args []string) error {
	return a.runGroup(ctx, "alias", map[string]subcommand{
		"add": {args: "ADDRESS TARGET[,TARGET...]", min: 2, max: -1, run: func(ctx context.Context, c *call) error {
			return c.dir.AddAlias(ctx, c.args[0], splitTargets(c.args[1:]))
		}},
		"del": {args: "ADDRESS", min: 1, max: 1, run: func(ctx context.Context, c *call) error {
			return c.dir.DeleteAlias(ctx, c.args[0])
		}},
		"list": {max: 0, run: func(ctx context.Context, c *call) error {
			aliases, err := c.dir.Aliases(ctx)
			for _, al := range aliases {
				fmt.Fprintf(c.app.stdout, "%s\t%s\n", al.Address, strings.Join(al.Targets, ","))
			}
			return err
		}},
	}, args)
}

// userAddress adds an extra address to an account, or removes one
// (README "Command line"): petrel user address add|del ADDRESS EXTRA.
func userAddress(ctx context.Context, c *call) error {
	account, extra := c.args[1], c.args[2]
	switch c.args[0] {
	case "add":
		return c.dir.AddAddress(ctx, account, extra)
	case "del":
		return c.dir.DeleteExtraAddress(ctx, account, extra)
	}
	return usageErrorf("user address: unknown subcommand %q (want add or del)", c.args[0])
}

// splitTargets splits comma-separated targets, dropping empty ones.
func splitTargets(args []string) []string {
	var out []string
	for _, a := range args {
		for _, t := range strings.Split(a, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// userUnlock asks the running server, through its control socket, to
// forget the failed logins of an account (and of a client address), so
// that its owner is no longer slowed (docs/configuration.md §Login throttling).
func userUnlock(ctx context.Context, c *call) error {
	cfg, _, err := loadConfig(c.opts.config)
	if err != nil {
		return err
	}
	client := ""
	if len(c.args) > 1 {
		client = c.args[1]
	}
	res, err := ops.NewLogins(controlSocket(cfg.DataDir)).Unlock(ctx, c.args[0], client)
	if err != nil {
		return err
	}
	say := func(what string, had bool) {
		if had {
			fmt.Fprintf(c.app.stdout, "%s: failed logins forgotten\n", what)
		} else {
			fmt.Fprintf(c.app.stdout, "%s: no failed logins to forget\n", what)
		}
	}
	say(c.args[0], res.Account)
	if client != "" {
		say(client, res.Client)
	}
	return nil
}

// controlSocket is the Unlocker of the CLI: the running server's control
// socket in the data directory.
type controlSocket string

func (dataDir controlSocket) Unlock(ctx context.Context, account, client string) (ops.UnlockResult, error) {
	res, err := admin.Unlock(ctx, string(dataDir), account, client)
	if errors.Is(err, admin.ErrNoServer) {
		return ops.UnlockResult{}, ops.Unavailable(err)
	}
	return ops.UnlockResult(res), err
}
