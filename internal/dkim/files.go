package dkim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/mailaddr"
	"github.com/petrelmail/petrel/internal/spool"
	"github.com/petrelmail/petrel/internal/store"
)

// ImportedSuffix is appended to the name of a key file once Import has
// moved its key into the KeyStore.
const ImportedSuffix = ".imported"

// Import moves the key files of a key directory of earlier versions
// (<data_dir>/dkim/<domain>/<selector>.pem, PKCS#8 or PKCS#1 PEM) into ks.
// Each key that parses is stored under KeyName with a Created line (the
// file's modification time when it has none, as earlier versions read
// it), and its file is renamed with ImportedSuffix, so that it is
// imported once and the operator sees that it was. A selector that ks
// already has with other content is never replaced: the file stays and
// is reported in skipped; with the same content (a crash between the
// store and the rename) the file is renamed. Files and directories that
// are not keys are reported in skipped. A missing dir imports nothing;
// the error is for a dir that cannot be read or a store that fails.
func Import(ctx context.Context, ks KeyStore, dir string) (imported []string, skipped []error, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	im := &importer{ks: ks}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case !e.IsDir():
			im.skip(path, "not a domain directory")
		case !isCanonical(e.Name()):
			im.skip(path, "not a domain name in lower-case A-label form")
		default:
			if err := im.domain(ctx, path, e.Name()); err != nil {
				return im.imported, im.skipped, err
			}
		}
	}
	return im.imported, im.skipped, nil
}

func isCanonical(domain string) bool {
	d, err := mailaddr.CanonicalDomain(domain)
	return err == nil && d == domain
}

type importer struct {
	ks       KeyStore
	imported []string
	skipped  []error
}

func (im *importer) skip(path, why string) {
	im.skipped = append(im.skipped, fmt.Errorf("dkim: skipping %s: %s", path, why))
}

// domain imports the key files of one domain directory; the error is the
// store's.
func (im *importer) domain(ctx context.Context, ddir, domain string) error {
	entries, err := os.ReadDir(ddir)
	if err != nil {
		im.skip(ddir, err.Error())
		return nil
	}
	for _, e := range entries {
		path := filepath.Join(ddir, e.Name())
		selector, ok := strings.CutSuffix(e.Name(), ".pem")
		if strings.HasPrefix(e.Name(), ".") || !ok || !e.Type().IsRegular() {
			continue // imported files, temporary files, notes, ...
		}
		if err := CheckSelector(selector); err != nil {
			im.skip(path, "the file name is not a selector")
			continue
		}
		value, err := readKeyFile(path)
		if err != nil {
			im.skip(path, err.Error())
			continue
		}
		name := KeyName(domain, selector)
		err = im.ks.KVCreate(ctx, name, value)
		if store.IsKind(err, store.KindExists) {
			cur, lerr := im.ks.KVLoad(ctx, name)
			if lerr != nil || !bytes.Equal(cur, value) {
				im.skip(path, "the store has another key with this selector (the file is left in place; remove one of them)")
				continue
			}
		} else if err != nil {
			return err
		}
		if err := os.Rename(path, path+ImportedSuffix); err != nil {
			im.skip(path, "imported, but not renamed: "+err.Error())
			continue
		}
		if err := spool.SyncDir(ddir); err != nil {
			im.skip(path, "imported, but the rename may not be durable: "+err.Error())
		}
		im.imported = append(im.imported, name)
	}
	return nil
}

// readKeyFile reads a key file and returns it as a KeyStore value: with a
// Created line, the file's modification time when it has none.
func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := parseKey(data, fi.ModTime()); err != nil {
		return nil, err
	}
	if hasCreatedLine(data) {
		return data, nil
	}
	head := createdPrefix + fi.ModTime().UTC().Format(time.RFC3339Nano) + "\n"
	return append([]byte(head), data...), nil
}

// hasCreatedLine reports whether a key file has a Created line that
// parses before its PEM block.
func hasCreatedLine(data []byte) bool {
	i := bytes.Index(data, []byte("-----BEGIN"))
	if i <= 0 {
		return false
	}
	for line := range strings.Lines(string(data[:i])) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), createdPrefix); ok {
			if _, err := time.Parse(time.RFC3339, v); err == nil {
				return true
			}
		}
	}
	return false
}
