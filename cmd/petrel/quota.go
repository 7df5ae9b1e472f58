package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/ops"
)

// userQuota shows an account's quota and usage, or sets its limits:
//
//	petrel user quota ADDRESS                      messages and bytes used, and the limits
//	petrel user quota ADDRESS MAX_SIZE MAX_MESSAGES  set the limits ("1GB", 0 = unlimited)
//	petrel user quota ADDRESS --bytes N            set one limit, keep the other
//	petrel user quota ADDRESS --messages N
func userQuota(ctx context.Context, c *call, lim quotaFlags) error {
	var q ops.Quota
	var err error
	switch {
	case len(c.args) == 3 && lim == (quotaFlags{}):
		lim = quotaFlags{bytes: c.args[1], messages: c.args[2]}
	case len(c.args) != 1:
		return usageErrorf("usage: petrel user quota ADDRESS [MAX_SIZE MAX_MESSAGES | --bytes N | --messages N]")
	}
	if lim == (quotaFlags{}) {
		q, err = c.dir.Quota(ctx, c.args[0])
	} else {
		maxBytes, maxMessages, perr := lim.parse()
		if perr != nil {
			return perr
		}
		q, err = c.dir.SetQuotaLimits(ctx, c.args[0], maxBytes, maxMessages)
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

// quotaFlags are the limits given to user quota, as typed ("" = not given).
type quotaFlags struct{ bytes, messages string }

// takeQuotaFlags removes --bytes and --messages from the args of user.
func takeQuotaFlags(args []string) (quotaFlags, []string, error) {
	var q quotaFlags
	var err error
	if q.bytes, args, err = takeValueFlag("user", args, "bytes"); err != nil {
		return q, nil, err
	}
	if q.messages, args, err = takeValueFlag("user", args, "messages"); err != nil {
		return q, nil, err
	}
	if q != (quotaFlags{}) && !slices.Contains(args, "quota") {
		return q, nil, usageErrorf("user: --bytes and --messages belong to user quota")
	}
	return q, args, nil
}

// parse checks the limits given; nil is a limit left as it is.
func (q quotaFlags) parse() (maxBytes, maxMessages *int64, err error) {
	if q.bytes != "" {
		size, perr := config.ParseSize(q.bytes)
		if perr != nil {
			return nil, nil, usageErrorf("user quota: MAX_SIZE %q: %v", q.bytes, perr)
		}
		v := int64(size)
		maxBytes = &v
	}
	if q.messages != "" {
		msgs, perr := strconv.ParseInt(q.messages, 10, 64)
		if perr != nil || msgs < 0 {
			return nil, nil, usageErrorf("user quota: MAX_MESSAGES %q: want a number, 0 = unlimited", q.messages)
		}
		maxMessages = &msgs
	}
	return maxBytes, maxMessages, nil
}
