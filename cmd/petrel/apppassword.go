package main

import (
	"context"
	"fmt"
	"time"
)

// userAdmin runs "petrel user admin ADDRESS on|off": the account may use
// the admin API with its password, or no longer (README "Admin API").
func userAdmin(ctx context.Context, c *call) error {
	on, err := onOff("user admin", c.args[1])
	if err != nil {
		return err
	}
	return c.dir.SetAdmin(ctx, c.args[0], on)
}

// userAppPassword runs "petrel user app-password add|list|revoke|only"
// (README "App passwords"):
//
//	petrel user app-password add ADDRESS NAME      print a new app password (once)
//	petrel user app-password list ADDRESS          name and creation time of each
//	petrel user app-password revoke ADDRESS NAME   refuse it from now on
//	petrel user app-password only ADDRESS on|off   refuse the main password for
//	                                               IMAP, POP3 and SMTP AUTH while app passwords exist
func userAppPassword(ctx context.Context, c *call) error {
	const usage = "usage: petrel user app-password add ADDRESS NAME | list ADDRESS | revoke ADDRESS NAME | only ADDRESS on|off"
	verb, rest := c.args[0], c.args[1:]
	if want := map[string]int{"add": 2, "list": 1, "revoke": 2, "only": 2}[verb]; want == 0 || len(rest) != want {
		return usageErrorf(usage)
	}
	switch verb {
	case "add":
		secret, err := c.dir.AddAppPassword(ctx, rest[0], rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(c.app.stderr, "petrel: app password %s for %s (shown once; use it instead of the password in one mail client):\n", rest[1], rest[0])
		fmt.Fprintln(c.app.stdout, secret)
		return nil
	case "revoke":
		return c.dir.RevokeAppPassword(ctx, rest[0], rest[1])
	case "only":
		on, err := onOff("user app-password only", rest[1])
		if err != nil {
			return err
		}
		return c.dir.SetAppPasswordsOnly(ctx, rest[0], on)
	}
	list, err := c.dir.AppPasswords(ctx, rest[0])
	for _, p := range list {
		fmt.Fprintf(c.app.stdout, "%s\t%s\n", p.Name, p.Created.UTC().Format(time.RFC3339))
	}
	return err
}

// onOff parses "on" or "off".
func onOff(cmd, s string) (bool, error) {
	switch s {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, usageErrorf("%s: want on or off, not %q", cmd, s)
}
