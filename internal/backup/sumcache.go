package backup

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/storecopy"
)

// The cache of body checksums (README "Backup and restore"): a backup's
// manifest holds the SHA-256 of every message's body, and reading every
// body again for it was most of the time of a backup with little new.
// DEST/bodysums keeps, for every message of the last backup, its
// mailbox (account, name, UIDVALIDITY), UID, blob ID, size and the
// SHA-256 of its body, so that the next backup reads only the bodies of
// the messages it has not summed before.
//
// A sum is reused only for the same message of the same store: the
// file names the store by its database file (device, inode and birth
// time of petrel.db: a restored or copied store is another file, whose
// blob IDs may name other bodies), and an entry is used only when the
// mailbox, UIDVALIDITY, UID, blob ID and size all match (within one
// store a blob is never rewritten and its ID never reused, so a match is
// the same bytes). Without a birth time (a file system that keeps none)
// there is no cache and every body is read. The file is written to a
// temporary name, fsynced and renamed (a backup killed midway leaves the
// previous one), and ends with the SHA-256 of what precedes it: a file
// damaged or cut short is ignored. `backup verify` and `restore` never
// use it: they read every body.
//
// Layout: a header line, then for each mailbox, in key order, a record
// 'M' with the key's length and the key, and a record 'E' per message in
// UID order (UID, blob ID, size, SHA-256); then 'T' and the SHA-256 of
// everything before it.

// sumsFile is the cache's name in a backup directory.
const sumsFile = "bodysums"

const sumsMagic = "petrel-bodysums 1 "

// entrySize is an 'E' record without its type byte.
const entrySize = 4 + 8 + 8 + sha256.Size

// storeIdentity names the store of dataDir by its database file: device,
// inode and birth time; "" when the file system keeps no birth time.
func storeIdentity(dataDir string) string {
	var st unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, filepath.Join(dataDir, dbFile), 0, unix.STATX_INO|unix.STATX_BTIME, &st)
	if err != nil || st.Mask&unix.STATX_BTIME == 0 || st.Mask&unix.STATX_INO == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%09d", st.Dev_major, st.Dev_minor, st.Ino, st.Btime.Sec, st.Btime.Nsec)
}

// mailboxKey orders and names a mailbox in the cache.
func mailboxKey(account, mailbox string, uidValidity uint32) string {
	return account + "\x00" + mailbox + "\x00" + strconv.FormatUint(uint64(uidValidity), 10)
}

// sumCache reads the previous cache (if any, and of the same store) and
// writes the new one, both in mailbox key order: Sums asks for the
// mailboxes in that order (Mailbox), so that both files are streams and
// the memory does not grow with the store.
type sumCache struct {
	dest     string
	identity string

	// The previous cache: r reads it; key and next are the current
	// section and entry ahead, rkey "" at its end.
	old  *os.File
	r    *bufio.Reader
	rkey string
	next cacheEntry
	have bool // next holds an entry of section rkey

	// The new one.
	tmp    *os.File
	w      *bufio.Writer
	h      hash.Hash
	hits   int64
	misses int64
}

type cacheEntry struct {
	uid  uint32
	blob int64
	size int64
	sum  [sha256.Size]byte
}

// openSumCache opens the cache of dest for the store of dataDir, and
// starts the new one; nil (no cache) when the store has no identity.
func openSumCache(dest, dataDir string) (*sumCache, error) {
	c := &sumCache{dest: dest, identity: storeIdentity(dataDir)}
	if c.identity == "" {
		return nil, nil
	}
	c.openOld()
	tmp, err := os.OpenFile(filepath.Join(dest, tmpPrefix+sumsFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		c.close()
		return nil, err
	}
	c.tmp, c.h = tmp, sha256.New()
	c.w = bufio.NewWriterSize(io.MultiWriter(tmp, c.h), 64<<10)
	c.w.WriteString(sumsMagic + c.identity + "\n")
	return c, nil
}

// openOld opens the previous cache when it is whole (its trailer's
// checksum matches) and of this store; else there is none.
func (c *sumCache) openOld() {
	f, err := os.Open(filepath.Join(c.dest, sumsFile))
	if err != nil {
		return
	}
	if !validSums(f, c.identity) {
		f.Close()
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return
	}
	c.old, c.r = f, bufio.NewReaderSize(f, 64<<10)
	c.r.ReadString('\n') // the header, checked
	c.advance()
}

// validSums reads the whole file once: the header names identity and
// the last 32 bytes are the SHA-256 of all before them, after a 'T'.
func validSums(f *os.File, identity string) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() < int64(len(sumsMagic))+1+sha256.Size {
		return false
	}
	r := bufio.NewReaderSize(f, 64<<10)
	header, err := r.ReadString('\n')
	if err != nil || header != sumsMagic+identity+"\n" {
		return false
	}
	h := sha256.New()
	h.Write([]byte(header))
	body := fi.Size() - int64(len(header)) - sha256.Size
	if body < 1 {
		return false
	}
	if _, err := io.CopyN(h, r, body); err != nil {
		return false
	}
	var trailer [sha256.Size]byte
	if _, err := io.ReadFull(r, trailer[:]); err != nil {
		return false
	}
	// The byte before the trailer is its 'T' (hashed with the rest).
	var t [1]byte
	if _, err := f.ReadAt(t[:], fi.Size()-sha256.Size-1); err != nil || t[0] != 'T' {
		return false
	}
	return bytes.Equal(h.Sum(nil), trailer[:])
}

// advance reads the next record of the previous cache: an entry of the
// current section, or a new section (have false), or the end (rkey "").
// A malformed record ends the cache.
func (c *sumCache) advance() {
	c.have = false
	for c.r != nil {
		t, err := c.r.ReadByte()
		if err != nil {
			c.stopOld()
			return
		}
		switch t {
		case 'M':
			var n uint32
			if binary.Read(c.r, binary.BigEndian, &n) != nil || n > 1<<16 {
				c.stopOld()
				return
			}
			key := make([]byte, n)
			if _, err := io.ReadFull(c.r, key); err != nil {
				c.stopOld()
				return
			}
			c.rkey = string(key)
			return
		case 'E':
			var b [entrySize]byte
			if _, err := io.ReadFull(c.r, b[:]); err != nil || c.rkey == "" {
				c.stopOld()
				return
			}
			c.next = cacheEntry{uid: binary.BigEndian.Uint32(b[0:]), blob: int64(binary.BigEndian.Uint64(b[4:])),
				size: int64(binary.BigEndian.Uint64(b[12:]))}
			copy(c.next.sum[:], b[20:])
			c.have = true
			return
		default: // 'T': the end
			c.stopOld()
			return
		}
	}
}

func (c *sumCache) stopOld() {
	if c.old != nil {
		c.old.Close()
	}
	c.old, c.r, c.rkey, c.have = nil, nil, "", false
}

// Mailbox starts the mailbox of key (keys asked in ascending order) and
// returns its storecopy.BodySums.
func (c *sumCache) Mailbox(key string) storecopy.BodySums {
	// Skip the previous cache's sections before key.
	for c.r != nil && c.rkey < key {
		c.advance()
		for c.have {
			c.advance()
		}
	}
	if c.r != nil && c.rkey == key {
		c.advance() // the section's first entry, if any
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(key)))
	c.w.WriteByte('M')
	c.w.Write(n[:])
	c.w.WriteString(key)
	return &mailboxSums{c: c, key: key}
}

// mailboxSums is the cache of one mailbox.
type mailboxSums struct {
	c   *sumCache
	key string
}

func (m *mailboxSums) Lookup(msg *store.Message) ([]byte, bool) {
	c := m.c
	for c.r != nil && c.rkey == m.key && c.have && c.next.uid < uint32(msg.UID) {
		c.advance()
	}
	if c.r == nil || c.rkey != m.key || !c.have || c.next.uid != uint32(msg.UID) ||
		c.next.blob != int64(msg.Blob) || c.next.size != msg.Size {
		c.misses++
		return nil, false
	}
	c.hits++
	return bytes.Clone(c.next.sum[:]), true
}

func (m *mailboxSums) Keep(msg *store.Message, sum []byte) error {
	if len(sum) != sha256.Size {
		return errors.New("body checksum of the wrong size")
	}
	var b [1 + entrySize]byte
	b[0] = 'E'
	binary.BigEndian.PutUint32(b[1:], uint32(msg.UID))
	binary.BigEndian.PutUint64(b[5:], uint64(msg.Blob))
	binary.BigEndian.PutUint64(b[13:], uint64(msg.Size))
	copy(b[21:], sum)
	_, err := m.c.w.Write(b[:])
	return err
}

// commit ends the new cache and renames it into place.
func (c *sumCache) commit() error {
	c.stopOld()
	c.w.WriteByte('T')
	if err := c.w.Flush(); err != nil {
		c.close()
		return err
	}
	if _, err := c.tmp.Write(c.h.Sum(nil)); err != nil {
		c.close()
		return err
	}
	if err := c.tmp.Sync(); err != nil {
		c.close()
		return err
	}
	if err := c.tmp.Close(); err != nil {
		c.tmp = nil
		c.close()
		return err
	}
	c.tmp = nil
	if err := os.Rename(filepath.Join(c.dest, tmpPrefix+sumsFile), filepath.Join(c.dest, sumsFile)); err != nil {
		return err
	}
	return syncDir(c.dest)
}

// close drops the new cache (the previous one stays).
func (c *sumCache) close() {
	c.stopOld()
	if c.tmp != nil {
		c.tmp.Close()
		os.Remove(filepath.Join(c.dest, tmpPrefix+sumsFile))
		c.tmp = nil
	}
}
