// Command growthbench fills a Petrel store with generated mail and measures a
// running server against it, for bench/growth.sh (docs/benchmarks.md
// "Growth: 1, 5 and 10 million messages"):
//
//	growthbench fill    -driver sqlite -dir DATA -total N   (or -driver postgres -dsn DSN)
//	growthbench measure -smtp ADDR -imap ADDR -pop3 ADDR
//
// fill writes through the store's batch path (store.Mail.AppendBatch, one
// transaction per batch, batches of several accounts sharing the SQLite
// writer's group commit) and is incremental: it tops every account up to
// its share of N, so 1M, 5M and 10M are measured on the way. The layout:
// big@growth.test holds a 100,000-message INBOX, pop@growth.test a
// 10,000-message one, and the other accounts share the rest evenly.
package main

import (
	"fmt"
	"os"
)

const (
	domain   = "growth.test"
	bigUser  = "big@" + domain
	popUser  = "pop@" + domain
	password = "growth-pass"
)

// userName names ordinary account i (1-based).
func userName(i int) string { return fmt.Sprintf("u%05d@%s", i, domain) }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: growth fill|measure [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "fill":
		err = cmdFill(os.Args[2:])
	case "measure":
		err = cmdMeasure(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "growthbench:", err)
		os.Exit(1)
	}
}
