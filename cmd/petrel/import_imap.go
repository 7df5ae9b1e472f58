package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/mailimport"
	"github.com/petrelmail/petrel/internal/store"
)

// imapFlags are the flags of an import from a live IMAP server.
type imapFlags struct {
	passwordFile, caFile string
	insecure             bool
	// deleteFolders removes the mailboxes of folders deleted on the
	// source (mailimport.IMAPOptions.DeleteGone).
	deleteFolders bool
}

func takeIMAPFlags(args []string) (imapFlags, []string, error) {
	var f imapFlags
	var err error
	if f.passwordFile, args, err = takeValueFlag("import", args, "password-file"); err != nil {
		return f, nil, err
	}
	if f.caFile, args, err = takeValueFlag("import", args, "ca-file"); err != nil {
		return f, nil, err
	}
	f.insecure, args = takeBoolFlag(args, "insecure")
	f.deleteFolders, args = takeBoolFlag(args, "delete-folders")
	return f, args, nil
}

func isIMAPURL(s string) bool {
	return strings.HasPrefix(s, "imaps://") || strings.HasPrefix(s, "imap://")
}

// importIMAP runs "petrel import ADDRESS imaps://USER@HOST": the folders
// of an account on a live IMAP server, again and again until the switch
// (README "Migrating to Petrel"). The password comes from standard
// input or --password-file, never from the command line.
func (a *app) importIMAP(ctx context.Context, opts options, address, source string, f imapFlags, newUIDs bool) error {
	src, err := imapSource(source, f)
	if err != nil {
		return err
	}
	if f.passwordFile != "" {
		pf, err := os.Open(f.passwordFile)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		src.Password, err = readPassword(pf)
		pf.Close()
		if err != nil {
			return usageErrorf("import: %s: %v", f.passwordFile, err)
		}
	} else if src.Password, err = readPassword(a.stdin); err != nil {
		return usageErrorf("import: %v (the source's password goes on standard input or in --password-file)", err)
	}
	return a.withMigration(ctx, opts, "import", address, func(ctx context.Context, cfg *config.Config, st store.Store, acct store.AccountID) error {
		release, newUIDs, err := a.uidsWhileServing(cfg, newUIDs)
		if err != nil {
			return err
		}
		defer release()
		src.MaxSize = int64(cfg.Delivery.MaxMessageSize)
		if err := src.Dial(ctx); err != nil {
			return &cliError{code: exitFail, lines: []string{"import: " + err.Error()}}
		}
		defer src.Close()
		rep, err := mailimport.ImportIMAP(ctx, st, acct, src, mailimport.Options{NoUIDs: newUIDs,
			Progress: a.progress(), Log: cliLogger(a.stderr, cfg)}, mailimport.IMAPOptions{DeleteGone: f.deleteFolders})
		err = a.importReport(rep.Report, err)
		a.imapFoldersReport(rep, f.deleteFolders)
		return err
	})
}

// imapFoldersReport prints what an IMAP import did with the source's
// folders besides their messages: names refused, folders deleted on the
// source, subscriptions.
func (a *app) imapFoldersReport(rep mailimport.IMAPReport, deleteFolders bool) {
	for _, r := range rep.Refused {
		fmt.Fprintf(a.stdout, "skipped source folder %q: Petrel refuses the mailbox name %q (%s); rename it on the source to import it\n",
			r.Folder, r.Mailbox, r.Reason)
	}
	removed := 0
	for _, g := range rep.Gone {
		what := fmt.Sprintf("source folder %q (mailbox %q) was deleted on the source", g.Folder, g.Mailbox)
		if g.Folder == "" {
			what = fmt.Sprintf("a source folder (mailbox %q) was deleted on the source", g.Mailbox)
		}
		switch {
		case g.Deleted:
			removed++
			fmt.Fprintf(a.stdout, "%s: mailbox removed\n", what)
		case deleteFolders:
			fmt.Fprintf(a.stdout, "%s: mailbox kept, %s\n", what, g.Kept)
		default:
			fmt.Fprintf(a.stdout, "%s: mailbox kept (--delete-folders removes it if it holds only imported messages)\n", what)
		}
	}
	line := fmt.Sprintf("source folders: %d skipped for their names, %d deleted on the source (%d mailboxes removed); ",
		len(rep.Refused), len(rep.Gone), removed)
	if rep.SubscriptionsUnknown {
		line += "subscriptions not copied (the server has no LIST-EXTENDED)"
	} else {
		line += fmt.Sprintf("%d subscriptions copied", rep.Subscribed)
	}
	fmt.Fprintln(a.stdout, line)
}

// imapSource reads imaps://USER@HOST[:PORT] or imap://... (STARTTLS,
// or none with --insecure).
func imapSource(source string, f imapFlags) (*mailimport.IMAPSource, error) {
	u, err := url.Parse(source)
	if err != nil || u.Host == "" || u.User == nil || u.User.Username() == "" || u.Path != "" && u.Path != "/" {
		return nil, usageErrorf("import: %q is not imaps://USER@HOST[:PORT] or imap://USER@HOST[:PORT]", source)
	}
	if _, hasPw := u.User.Password(); hasPw {
		return nil, usageErrorf("import: the password does not go in the URL: give it on standard input or in --password-file")
	}
	src := &mailimport.IMAPSource{User: u.User.Username(), Addr: u.Host, Security: mailimport.ImplicitTLS}
	port := "993"
	if u.Scheme == "imap" {
		port, src.Security = "143", mailimport.StartTLS
		if f.insecure {
			src.Security = mailimport.Plain
		}
	} else if f.insecure {
		return nil, usageErrorf("import: --insecure goes with imap:// only")
	}
	if u.Port() == "" {
		src.Addr = net.JoinHostPort(u.Hostname(), port)
	}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErrorf("import: no certificate in %s", f.caFile)
		}
		src.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return src, nil
}
