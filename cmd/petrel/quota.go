package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/ops"
)

// userQuota shows an account's quota and usage, or sets its limits:
//
//	petrel user quota ADDRESS                      messages and bytes used, and the limits
//	petrel user quota ADDRESS MAX_SIZE MAX_MESSAGES  set the limits ("1GB", 0 = unlimited)
func userQuota(ctx context.Context, c *call) error {
	var q ops.Quota
	var err error
	switch len(c.args) {
	case 1:
		q, err = c.dir.Quota(ctx, c.args[0])
	case 3:
		size, perr := config.ParseSize(c.args[1])
		if perr != nil {
			return usageErrorf("user quota: MAX_SIZE %q: %v", c.args[1], perr)
		}
		msgs, perr := strconv.ParseInt(c.args[2], 10, 64)
		if perr != nil || msgs < 0 {
			return usageErrorf("user quota: MAX_MESSAGES %q: want a number, 0 = unlimited", c.args[2])
		}
		q, err = c.dir.SetQuota(ctx, c.args[0], int64(size), msgs)
	default:
		return usageErrorf("usage: petrel user quota ADDRESS [MAX_SIZE MAX_MESSAGES]")
	}
	if err != nil {
		return err
	}
	limit := func(v int64) string {
		if v == 0 {
			return "unlimited"
		}
		return strconv.FormatInt(v, 10)
	}
	fmt.Fprintf(c.app.stdout, "messages\t%d\t%s\nbytes\t%d\t%s\n",
		q.UsedMessages, limit(q.MaxMessages), q.UsedBytes, limit(q.MaxBytes))
	return nil
}
