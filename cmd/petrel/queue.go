package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/ops"
	"github.com/petrelmail/petrel/internal/queue"
	"github.com/petrelmail/petrel/internal/store"
)

// queueCmd runs `petrel queue list|show|retry|delete` through ops.Queue.
// It works while the server runs: the server's queue runner sees retries
// at its next poll.
func (a *app) queueCmd(ctx context.Context, args []string) error {
	all := slices.ContainsFunc(args, isAllFlag)
	args = slices.DeleteFunc(slices.Clone(args), isAllFlag)
	opts, pos, err := parseArgs("queue", args, false)
	if err != nil {
		return err
	}
	if err := checkQueueArgs(pos, all); err != nil {
		return err
	}
	cfg, _, err := loadConfig(opts.config)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, cliLogger(a.stderr, cfg), nil, false)
	if err != nil {
		return err
	}
	defer st.Close()
	// The log says who deleted a message (info, unlike cliLogger).
	log, err := obs.NewLogger(a.stderr, "info", cfg.Log.Format)
	if err != nil {
		log = cliLogger(a.stderr, cfg)
	}
	q := ops.NewQueue(queue.New(queue.Config{}, queue.Deps{Store: st, Log: log}))
	if err := a.queueRun(ctx, q, pos); err != nil {
		return &cliError{code: exitFail, lines: []string{errText(err)}}
	}
	return nil
}

func isAllFlag(s string) bool { return s == "--all" || s == "-all" }

func checkQueueArgs(pos []string, all bool) error {
	if len(pos) == 0 {
		return usageErrorf("queue: missing subcommand (delete, list, retry, show)")
	}
	want := map[string]int{"list": 0, "show": 1, "retry": 1, "delete": 1}
	n, ok := want[pos[0]]
	switch {
	case !ok:
		return usageErrorf("queue: unknown subcommand %q (want delete, list, retry, show)", pos[0])
	case all && pos[0] != "retry":
		return usageErrorf("queue %s: --all is accepted by retry only", pos[0])
	case pos[0] == "retry" && all && len(pos) == 1:
	case len(pos)-1 != n:
		if pos[0] == "retry" {
			return usageErrorf("usage: petrel queue retry ID|--all")
		}
		return usageErrorf("usage: petrel queue %s%s", pos[0], strings.Repeat(" ID", n))
	}
	return nil
}

func (a *app) queueRun(ctx context.Context, q *ops.Queue, pos []string) error {
	switch pos[0] {
	case "list":
		ms, err := q.List(ctx)
		if err != nil {
			return err
		}
		printQueue(a.stdout, ms, time.Now(), false)
	case "show":
		ms, err := q.Show(ctx, pos[1])
		if err != nil {
			return err
		}
		printQueue(a.stdout, ms, time.Now(), true)
	case "retry":
		var n int
		var err error
		if len(pos) > 1 {
			n, err = q.Retry(ctx, pos[1])
		} else {
			n, err = q.RetryAll(ctx)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%d deferred or held recipient(s) due now; the running server tries them within seconds\n", n)
	case "delete":
		ids, err := q.Delete(ctx, pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "deleted %s\n", strings.Join(ids, " "))
	}
	return nil
}

// queueLine is the format of the message lines of `queue list` and
// `queue show`, and of their header row; each message's recipients
// follow it, indented.
const queueLine = "%-12s  %-12s  %-7s %9s  %s\n"

// printQueue prints messages under a header row, oldest first, each with
// its recipients (and every field with detail, for `queue show`).
func printQueue(w io.Writer, ms []store.QueuedMessage, now time.Time, detail bool) {
	if len(ms) == 0 {
		fmt.Fprintln(w, "queue is empty")
		return
	}
	fmt.Fprintf(w, queueLine, "QUEUE ID", "MSG ID", "AGE", "SIZE", "SENDER")
	for _, m := range ms {
		printQueued(w, m, now, detail)
	}
}

// printQueued prints a message: queue ID, the msg_id it was queued from
// (the ID its sender was told), age, size and sender, then one line per
// recipient with its state, next attempt and last error.
func printQueued(w io.Writer, m store.QueuedMessage, now time.Time, detail bool) {
	from := m.From
	if from == "" {
		from = "MAILER-DAEMON"
	}
	fmt.Fprintf(w, queueLine, m.ID, orDash(m.Origin), age(now.Sub(m.Arrived)), humanSize(m.Size), "<"+from+">")
	if detail {
		fmt.Fprintf(w, "  arrived %s  envid %q  ret %q  body %q  smtputf8 %v  delay-warned %v\n",
			m.Arrived.Format(time.RFC3339), m.EnvID, m.Ret, m.BodyType, m.SMTPUTF8, m.DelayWarned)
	}
	for _, r := range m.Rcpts {
		line := fmt.Sprintf("    %-9s %s", r.State, r.Addr)
		if r.State == store.RcptDeferred {
			line += "  next " + nextAttempt(r.NextAttempt.Sub(now))
			if detail {
				line += " (" + r.NextAttempt.Format(time.RFC3339) + ")"
			}
		}
		if r.LastError != "" {
			line += "  (" + r.LastError + ")"
		}
		fmt.Fprintln(w, line)
		if detail {
			fmt.Fprintf(w, "      attempts %d  last %s  status %s  remote %s  notify %s  orcpt %s\n", r.Attempts,
				fmtTime(r.LastAttempt), orDash(r.Status), orDash(r.RemoteMTA), orDash(strings.Join(r.Notify, ",")), orDash(r.ORcpt))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// nextAttempt is when a deferred recipient is tried again: "in 12m", or
// "now" once due.
func nextAttempt(d time.Duration) string {
	if d <= 0 {
		return "now"
	}
	return "in " + age(d)
}

// age is a duration for the list: "45s", "12m", "3h5m", "2d4h".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// humanSize is a size with its unit: "812 B", "12.3 KiB", "4.0 MiB".
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, prefix := float64(n)/unit, "KMGT"
	i := 0
	for ; v >= unit && i < len(prefix)-1; i++ {
		v /= unit
	}
	return fmt.Sprintf("%.1f %ciB", v, prefix[i])
}
