package main

import (
	"github.com/petrelmail/petrel/internal/autoconfig"
)

// autoconfigHandler serves client autoconfiguration (Thunderbird
// autoconfig, Outlook autodiscover, Apple profiles; README "Client
// autoconfiguration") for the local domains, from the listen keys of
// d.cfg. webHandler wraps the rest of the HTTPS site with it:
// autoconfigHandler(d).Wrap(next).
func autoconfigHandler(d deps) *autoconfig.Handler {
	return autoconfig.New(autoconfig.FromConfig(d.cfg), d.accounts, d.log)
}
