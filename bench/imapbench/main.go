// Command imapbench is the client of bench/imap.sh. It talks IMAP on a
// raw connection (the same small cost against every server) to loopback
// addresses only:
//
//	imapbench fill -addr A -user U -pass P -mbox FILE -n N
//	    APPEND the first N messages of an mbox (bench/genmbox)
//	    to INBOX, in order, with the same flags and dates on every server
//	imapbench maildir -dir DIR -mbox FILE -n N
//	    the same messages written into a Maildir directly (for Dovecot)
//	imapbench ops -server name=A,U,P [-server ...] -n N [-word W] [-runs R]
//	    time SELECT, UID FETCH 1:* (UID FLAGS), FETCH 1:200 (ENVELOPE
//	    BODYSTRUCTURE), UID SEARCH TEXT, a CONDSTORE resync after flag
//	    changes, and UID FETCH 1:* (FLAGS ENVELOPE) with and without
//	    COMPRESS DEFLATE on each server in turn; print medians and ratios
//	imapbench idle -addr A[,B...] -n N -user-fmt F -users K [-src-first IP -src-count C] -pid PIDS
//	    [-wake-smtp A | -wake-lmtp A] [-compress]
//	    hold N authenticated connections in IDLE (spread over the servers,
//	    nodes of one store), measure the memory of the servers' process
//	    trees, then check that new mail (APPENDs, or one SMTP/LMTP
//	    delivery to every user) wakes all of them, and how fast
//	imapbench append -addr A -user U -pass P -mbox FILE -n N [-conns K] [-multi M]
//	    APPEND the first N messages over K connections, M messages per
//	    command (MULTIAPPEND, RFC 3502), for bench/importbench.sh
//	imapbench count -addr A -user U -pass P
//	    print the number of messages in the user's INBOX
//	imapbench mixed -server name=A,USERFMT,P,PID [-server ...] -mbox FILE [-clients 20] [-duration 30s]
//	    20 clients, one mailbox each, looping LOGIN, SELECT, FETCH,
//	    STORE, EXPUNGE, APPEND and checking every reply; commands/s and
//	    the server's CPU per command (bench/imapmixed.sh)
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: imapbench fill|maildir|ops|idle|append|count|mixed [flags]")
		os.Exit(2)
	}
	// Bounded: whatever happens, stop.
	time.AfterFunc(2*time.Hour, func() {
		fmt.Fprintln(os.Stderr, "imapbench: time limit reached")
		os.Exit(3)
	})
	var err error
	switch os.Args[1] {
	case "fill":
		err = cmdFill(os.Args[2:])
	case "maildir":
		err = cmdMaildir(os.Args[2:])
	case "ops":
		err = cmdOps(os.Args[2:])
	case "idle":
		err = cmdIdle(os.Args[2:])
	case "append":
		err = cmdAppend(os.Args[2:])
	case "count":
		err = cmdCount(os.Args[2:])
	case "mixed":
		err = cmdMixed(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imapbench:", err)
		os.Exit(1)
	}
}
