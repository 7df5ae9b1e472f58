package main

import "context"

// dnsCmd runs "petrel dns ...".
func (a *app) dnsCmd(ctx context.Context, args []string) error {
	return a.notImplemented("dns")
}
