package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/storecopy"
)

// ManifestFile is the manifest's name in a snapshot directory.
const ManifestFile = "manifest.json"

// manifestVersion is the format of manifest.json.
const manifestVersion = 1

// Manifest is what a snapshot holds, written at backup time and checked
// by Verify.
type Manifest struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Driver is the store's backend: "sqlite" (the database is in the
	// snapshot) or "postgres" (it is pg_dump's).
	Driver string `json:"driver"`
	// Database is the SHA-256 of the snapshot's petrel.db (SQLite).
	Database string `json:"database_sha256,omitempty"`
	// BlobFiles and BlobBytes count the body files the snapshot names.
	BlobFiles int64        `json:"blob_files"`
	BlobBytes int64        `json:"blob_bytes"`
	Files     []FileSum    `json:"files"`
	Mailboxes []MailboxSum `json:"mailboxes"`
}

// FileSum is one file of a snapshot's files/ directory.
type FileSum struct {
	Name   string      `json:"name"`   // path below files/ and, restored, below the data directory
	Origin string      `json:"origin"` // where it was read
	Mode   os.FileMode `json:"mode"`
	Size   int64       `json:"size"`
	SHA256 string      `json:"sha256"`
}

// MailboxSum is one mailbox: its identity, message count and checksums
// (storecopy.MailboxChecksum).
type MailboxSum struct {
	Account       string `json:"account"`
	Mailbox       string `json:"mailbox"`
	UIDValidity   uint32 `json:"uidvalidity"`
	UIDNext       uint32 `json:"uidnext"`
	HighestModSeq uint64 `json:"highest_modseq"`
	Messages      int64  `json:"messages"`
	SHA256        string `json:"sha256"`
	Expunged      string `json:"expunged_sha256"`
}

// pageSize is the number of messages checksummed per page.
const pageSize = 256

// Sums computes the MailboxSum of every mailbox of every account of st,
// sorted by account and mailbox, reading every message's body once, a
// page at a time.
func Sums(ctx context.Context, st store.Store, progress io.Writer) ([]MailboxSum, error) {
	return sums(ctx, st, progress, nil)
}

// sums is Sums reading only the bodies that cache (nil: none) does not
// know.
func sums(ctx context.Context, st store.Store, progress io.Writer, cache *sumCache) ([]MailboxSum, error) {
	if progress == nil {
		progress = io.Discard
	}
	accts, err := st.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	// In key order (the cache's).
	sort.Slice(accts, func(i, j int) bool { return accts[i].Address < accts[j].Address })
	var out []MailboxSum
	for _, a := range accts {
		mbs, err := st.Mailboxes(ctx, a.ID)
		if err != nil {
			return nil, fmt.Errorf("mailboxes of %s: %w", a.Address, err)
		}
		sort.Slice(mbs, func(i, j int) bool { return mbs[i].Name < mbs[j].Name })
		for _, mb := range mbs {
			s := MailboxSum{Account: a.Address, Mailbox: mb.Name, UIDValidity: mb.UIDValidity,
				UIDNext: uint32(mb.UIDNext), HighestModSeq: uint64(mb.HighestModSeq)}
			var known storecopy.BodySums
			if cache != nil {
				known = cache.Mailbox(mailboxKey(a.Address, mb.Name, mb.UIDValidity))
			}
			if s.Messages, s.SHA256, s.Expunged, err = storecopy.MailboxChecksum(ctx, st, mb.ID, pageSize, known); err != nil {
				return nil, fmt.Errorf("checksum of %s %s: %w", a.Address, mb.Name, err)
			}
			if s.Messages > 0 {
				fmt.Fprintf(progress, "%s %s: %d messages, sha256 %.16s\n", a.Address, mb.Name, s.Messages, s.SHA256)
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Mailbox < out[j].Mailbox
	})
	return out, nil
}

// CompareSums lists the differences between the sums of a manifest
// (want) and of a store (got); none is nil.
func CompareSums(want, got []MailboxSum) []string {
	key := func(s MailboxSum) string { return s.Account + "\x00" + s.Mailbox }
	have := make(map[string]MailboxSum, len(got))
	for _, s := range got {
		have[key(s)] = s
	}
	var problems []string
	for _, w := range want {
		g, ok := have[key(w)]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s %s: missing", w.Account, w.Mailbox))
			continue
		}
		delete(have, key(w))
		switch {
		case g.Messages != w.Messages:
			problems = append(problems, fmt.Sprintf("%s %s: %d messages, %d in the manifest", w.Account, w.Mailbox, g.Messages, w.Messages))
		case g != w:
			problems = append(problems, fmt.Sprintf("%s %s: checksum or UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ differ from the manifest", w.Account, w.Mailbox))
		}
	}
	for _, g := range got {
		if _, extra := have[key(g)]; extra {
			problems = append(problems, fmt.Sprintf("%s %s: not in the manifest", g.Account, g.Mailbox))
		}
	}
	return problems
}

// ReadManifest reads the manifest of the snapshot directory dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("%s: format version %d, this petrel reads %d", filepath.Join(dir, ManifestFile), m.Version, manifestVersion)
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600)
}

// fileSHA256 is the SHA-256 of a file, read as a stream.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
