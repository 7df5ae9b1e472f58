package main

import "context"

// dkimCmd runs "petrel dkim ...".
func (a *app) dkimCmd(ctx context.Context, args []string) error {
	return a.notImplemented("dkim")
}
