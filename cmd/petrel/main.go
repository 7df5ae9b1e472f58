package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/petrelmail/petrel/internal/acme"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the operation failed
	exitUsage = 2 // bad usage or configuration
)

const usageText = `usage: petrel COMMAND [ARGS] [--config FILE]

commands:
  serve                                     run the server
  domain add|list|del DOMAIN                manage domains (list: A-label, then Unicode for IDNs)
  domain add DOMAIN --postmaster ADDRESS    postmaster@ and abuse@ DOMAIN become aliases of ADDRESS
  user   add|list|del|passwd ADDRESS        manage accounts (add/passwd: --password-stdin)
  user   quota ADDRESS [MAX_SIZE MAX_MESSAGES] [--bytes N] [--messages N]
                                            show usage and limits, or set them (0 = unlimited)
  user   unlock ADDRESS [CLIENT_IP]         forget failed logins
  user   address add|del ADDRESS EXTRA      give an account an extra address, or remove one
  user   admin ADDRESS on|off               let the account use the admin API with its password
  user   app-password add|revoke ADDRESS NAME  per-device passwords for IMAP/POP3/SMTP (add prints it once)
  user   app-password list ADDRESS | only ADDRESS on|off  list them; refuse the main password while any exist
  user   send-limit ADDRESS [MSGS_HOUR MSGS_DAY RCPTS_HOUR RCPTS_DAY | default]
                                            show what the account sent and its limits, or set its own
                                            ("-" keeps one configured; 0 = no limit; default: [send_limits])
  alias  add|list|del ADDRESS TARGET[,...]  manage aliases ("@domain" is a catch-all)
  token  create [--read-only] NAME | list | revoke NAME  admin API tokens (create prints it once)
  sieve  list ADDRESS | put|get|activate|delete ADDRESS NAME | deactivate ADDRESS | check
                                            an account's Sieve filters (put and check read the script on stdin)
  share  ADDRESS MAILBOX GRANTEE [+|-]RIGHTS  grant an address or "anyone" (the owner's domain) RIGHTS
                                            (RFC 4314: lrswipkxtea) on a mailbox; --revoke removes them
  share  list ADDRESS [MAILBOX] | visible ADDRESS  the grants on an account's mailboxes; what it can see
  queue  list|show|retry|delete ID          manage the outbound queue (retry --all)
  dkim   generate DOMAIN                    create a DKIM key (--selector S, --algorithm rsa|ed25519)
  dkim   remove|export DOMAIN SELECTOR      retire a DKIM key; print a key file (backup)
  dns    [check] DOMAIN                     print the DNS records to publish (check: compare with DNS)
  store  copy --to-config NEW.toml          copy the store into the one NEW.toml names (to PostgreSQL)
  index  rebuild [--account ADDRESS]        put the messages stored before the full-text index into it
  backup [--verbose] DEST                   back up the store, keys, certificates and configuration (server running)
  backup verify BACKUP                      check a backup (PostgreSQL: against the configured store)
  restore BACKUP DATADIR                    restore a backup into a new data directory, and verify it
  import ADDRESS SOURCE                     import a Maildir(++) tree or mbox file/tree into the account
                                            (--format maildir|mbox, --mailbox NAME for one mbox, --new-uids)
  import ADDRESS imaps://USER@HOST[:PORT]   copy an account of a live IMAP server, again to move only what changed
                                            (password on stdin or --password-file F; --ca-file F; imap:// uses STARTTLS)
  export ADDRESS DEST                       write the account's mailboxes to DEST (--format maildir|mbox)
  version                                   print the version
  help                                      print this summary

flags:
  --config FILE       configuration file (default ./petrel.toml, else built-in defaults)
  --password-stdin    user add|passwd: read the password from standard input
  --postmaster A      for domain add: where the domain's postmaster@ and abuse@ go (an existing address)
  --bytes N           user quota: set the size limit alone ("1GB", 0 = unlimited)
  --messages N        user quota: set the message limit alone (0 = unlimited)
  --dmarc-reports A   dns: where DMARC aggregate reports go (default postmaster@DOMAIN, if it takes mail)
  --selector S        dkim generate: the selector of the new key
  --algorithm A       dkim generate: rsa or ed25519
  --all               queue retry: every queued message
  --read-only         token create: the token may only read
  --to-config FILE    store copy: the configuration of the destination store
  --account ADDRESS   index rebuild: only the messages of this account
  --revoke            share: remove the grantee's rights
  --format F          import/export: maildir or mbox (import: guessed from SOURCE)
  --mailbox NAME      import of one mbox file: the mailbox it goes to (default INBOX)
  --new-uids          import: give new UIDs even where dovecot-uidlist has the source's
  --password-file F   import from IMAP: read the source's password from F (else from standard input)
  --ca-file F         import from IMAP: trust the CA certificates in F (PEM) for the source's TLS
  --insecure          import from imap://: no STARTTLS (tests, loopback)
  -h, --help          print the usage of a command (petrel COMMAND --help)

exit status: 0 success, 1 the operation failed, 2 usage or configuration error
`

// commandUsage is the part of usageText about command cmd, and the flags.
func commandUsage(cmd string) string {
	var b strings.Builder
	b.WriteString("usage: petrel " + cmd + " [ARGS] [--config FILE]\n\n")
	lines := strings.Split(usageText, "\n")
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != cmd || !strings.HasPrefix(line, "  ") {
			continue
		}
		b.WriteString(line + "\n")
		// A continuation line is indented further than the command column.
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "        ") {
			b.WriteString(lines[i+1] + "\n")
		}
	}
	b.WriteString(usageText[strings.Index(usageText, "\nflags:"):])
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	stopProfile := startCPUProfile(os.Stderr) // PETREL_CPUPROFILE (cpuprofile.go)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// app is one invocation of the command: its standard streams, and for tests
// a hook that learns the addresses the server listens on.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// onReady, when set, is called by serve once it serves, with the bound
	// HTTP addresses.
	onReady func(http []net.Addr)
	// tuneACME, when set, adjusts the ACME manager's configuration
	// (tests: renewal checks every moment).
	tuneACME func(*acme.Config)
}

// run executes the command line args (without the program name) and returns
// the exit status. ctx ends the server (SIGINT/SIGTERM in main).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	return a.run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) int {
	err := a.dispatch(ctx, args)
	if err == nil {
		return exitOK
	}
	var ce *cliError
	if !errors.As(err, &ce) {
		ce = &cliError{code: exitFail, lines: []string{err.Error()}}
	}
	if ce.help != "" {
		fmt.Fprint(a.stdout, commandUsage(ce.help))
		return ce.code
	}
	for _, line := range ce.lines {
		fmt.Fprintf(a.stderr, "petrel: %s\n", line)
	}
	if ce.usage {
		fmt.Fprint(a.stderr, usageText)
	}
	return ce.code
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	cmd, rest, ok := splitCommand(args)
	if !ok {
		return &cliError{code: exitUsage, lines: []string{"no command given"}, usage: true}
	}
	switch cmd {
	case "serve":
		return a.serve(ctx, rest)
	case "domain":
		return a.domainCmd(ctx, rest)
	case "user":
		return a.userCmd(ctx, rest)
	case "alias":
		return a.aliasCmd(ctx, rest)
	case "queue":
		return a.queueCmd(ctx, rest)
	case "token":
		return a.tokenCmd(ctx, rest)
	case "sieve":
		return a.sieveCmd(ctx, rest)
	case "share":
		return a.shareCmd(ctx, rest)
	case "dkim":
		return a.dkimCmd(ctx, rest)
	case "dns":
		return a.dnsCmd(ctx, rest)
	case "store":
		return a.storeCmd(ctx, rest)
	case "index":
		return a.indexCmd(ctx, rest)
	case "backup":
		return a.backupCmd(ctx, rest)
	case "restore":
		return a.restoreCmd(ctx, rest)
	case "import":
		return a.importCmd(ctx, rest)
	case "export":
		return a.exportCmd(ctx, rest)
	case "version":
		return a.version(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(a.stdout, usageText)
		return nil
	}
	return &cliError{code: exitUsage, lines: []string{fmt.Sprintf("unknown command %q", cmd)}, usage: true}
}

// splitCommand finds the command word, which may follow a --config flag
// ("petrel --config f.toml user list"), and returns it and the other args.
func splitCommand(args []string) (cmd string, rest []string, ok bool) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--config" || a == "-config":
			i++ // skip its value
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
		default:
			rest = append(slices.Clip(args[:i]), args[i+1:]...)
			return a, rest, true
		}
	}
	return "", nil, false
}

// cliError is an error with its exit status and the lines to print.
type cliError struct {
	code  int
	lines []string
	usage bool   // also print the usage summary
	help  string // print the usage of this command on stdout instead
}

// helpRequested is the outcome of COMMAND --help: its usage, exit status 0.
func helpRequested(cmd string) error { return &cliError{code: exitOK, help: cmd} }

func (e *cliError) Error() string { return strings.Join(e.lines, "; ") }

// usageErrorf is a usage error (exit status 2).
func usageErrorf(format string, args ...any) error {
	return &cliError{code: exitUsage, lines: []string{fmt.Sprintf(format, args...)}}
}

func (a *app) notImplemented(cmd string) error {
	return &cliError{code: exitUsage, lines: []string{fmt.Sprintf("%s: not implemented yet", cmd)}}
}
