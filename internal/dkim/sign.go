package dkim

import (
	"bufio"
	"context"
	"crypto"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/petrelmail/petrel/internal/header"
	"github.com/petrelmail/petrel/internal/store"
)

// reloadInterval is how often a Signer looks for changed keys at most.
const reloadInterval = 3 * time.Second

// signedFields returns the header fields signed when present (RFC 6376
// §5.4.1, plus the MIME fields, Message-ID and the rest of the
// originator and Resent fields), and whether each is over-signed: listed
// once more than it occurs, so that an added instance breaks the
// signature (§5.4.2, §8.15). Over-signed are From and the fields RFC 5322
// §3.6 and RFC 2045 allow once.
func signedFields() []signedField {
	return []signedField{
		{"From", true}, {"Sender", true}, {"Reply-To", true}, {"Subject", true},
		{"Date", true}, {"Message-ID", true}, {"To", true}, {"Cc", true},
		{"In-Reply-To", true}, {"References", true},
		{"MIME-Version", true}, {"Content-Type", true}, {"Content-Transfer-Encoding", true},
		{"Content-ID", false}, {"Content-Description", false},
		{"Resent-Date", false}, {"Resent-From", false}, {"Resent-Sender", false},
		{"Resent-To", false}, {"Resent-Cc", false}, {"Resent-Message-ID", false},
		{"List-Id", false}, {"List-Help", false}, {"List-Unsubscribe", false},
		{"List-Unsubscribe-Post", false}, {"List-Subscribe", false}, {"List-Post", false},
		{"List-Owner", false}, {"List-Archive", false},
	}
}

// signedField is a header field to sign; over: over-sign it.
type signedField struct {
	name string
	over bool
}

// Signer signs outgoing mail with the keys of a KeyStore. It picks up
// keys added or removed while it runs, by any node or command, looking at
// most every few seconds. It is safe for concurrent use.
type Signer struct {
	ks       KeyStore
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	ring    *Keyring
	stamp   []store.KeyInfo // the keys seen at the last load
	checked time.Time       // the last look for changes
}

// errMalformed is Sign's error for a header with a line that is no field
// (header.Malformed).
var errMalformed = errors.New("dkim: header has a line that is no field")

// NewSigner returns a Signer for the keys of ks. Keys are read at the
// first Sign; values that are not keys are logged.
func NewSigner(ks KeyStore, log *slog.Logger) *Signer {
	return &Signer{ks: ks, log: log, interval: reloadInterval, now: time.Now}
}

// Sign reads a message (header and body, exactly the octets that will be
// sent, CRLF line ends) and returns the DKIM-Signature fields to prepend
// to it, folded and CRLF-terminated: one per active key (Keyring.Active:
// an RSA key, and an Ed25519 key if there is one) of each domain of the
// From field, or of its nearest parent domain with keys up to the
// organisational domain. It returns "" when no key applies or the header
// is malformed beyond signing; the rest of msg is then left unread. A
// header section that does not end within header.MaxSection
// (header.ErrTooLarge) or that has a line that is no field (errMalformed)
// is an error: submission refuses both (README "Submission"), so the
// signer never signs for a From field the submission check did not read.
func (s *Signer) Sign(ctx context.Context, msg io.Reader) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	br := bufio.NewReader(msg)
	raw, fields, err := readHeader(br)
	if err != nil {
		return "", err
	}
	if len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
		// RFC 5322 §2.2.3: the header cannot start with a continuation
		// line; prepended, it would continue the signature field.
		return "", nil
	}
	if len(header.Malformed(raw)) > 0 {
		// Submission refuses these (README "Submission"): a line that is
		// no field could be read as a From field it did not check.
		return "", errMalformed
	}
	ring, now := s.keyring(ctx)
	var keys []*Key
	seen := map[string]bool{}
	for _, d := range fromDomains(fields) {
		for _, k := range ring.signingKeys(d, now) {
			if !seen[k.Name] {
				seen[k.Name] = true
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	return sign(keys, headerKeys(fields), raw, br)
}

// sign hashes the message once per key, all keys in one pass.
func sign(keys []*Key, hkeys []string, header []byte, body io.Reader) (string, error) {
	signers := make([]*msgdkim.Signer, 0, len(keys))
	writers := make([]io.Writer, 0, len(keys))
	defer func() {
		for _, s := range signers {
			_ = s.Close() // after an error; a second Close is harmless
		}
	}()
	for _, k := range keys {
		s, err := msgdkim.NewSigner(&msgdkim.SignOptions{
			Domain:                 k.Domain,
			Selector:               k.Selector,
			Signer:                 k.signer,
			Hash:                   crypto.SHA256,
			HeaderCanonicalization: msgdkim.CanonicalizationRelaxed,
			BodyCanonicalization:   msgdkim.CanonicalizationRelaxed,
			HeaderKeys:             hkeys,
		})
		if err != nil {
			return "", err
		}
		signers = append(signers, s)
		writers = append(writers, s)
	}
	w := io.MultiWriter(writers...)
	if _, err := w.Write(header); err != nil {
		return "", err
	}
	if _, err := io.Copy(w, body); err != nil {
		return "", err
	}
	var out strings.Builder
	for _, s := range signers {
		if err := s.Close(); err != nil {
			return "", err
		}
		out.WriteString(s.Signature())
	}
	return out.String(), nil
}

// headerKeys is the h= list for a header: the signed fields present, each
// as often as it occurs, over-signed ones once more.
func headerKeys(fields []header.Field) []string {
	count := map[string]int{}
	for _, f := range fields {
		count[strings.ToLower(f.Name)]++
	}
	var keys []string
	for _, sf := range signedFields() {
		n := count[strings.ToLower(sf.name)]
		if n == 0 && sf.name != "From" {
			continue
		}
		if sf.over {
			n++
		}
		for range n {
			keys = append(keys, sf.name)
		}
	}
	return keys
}

// keyring returns the current keys and time, loading the keys again when
// the listing of the KeyStore changed since the last look (at most every
// interval).
func (s *Signer) keyring(ctx context.Context) (*Keyring, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if since := now.Sub(s.checked); s.ring != nil && since >= 0 && since < s.interval {
		return s.ring, now
	}
	s.checked = now
	stamp, err := s.ks.KVList(ctx, keyPrefix)
	if err == nil && s.ring != nil && equalStamps(stamp, s.stamp) {
		return s.ring, now
	}
	var ring *Keyring
	if err == nil {
		ring, err = Load(ctx, s.ks)
	}
	if err != nil {
		s.log.Error("dkim: cannot read the keys; keeping the keys loaded before", "err", err)
		if s.ring == nil {
			s.ring = &Keyring{keys: map[string][]*Key{}}
		}
		return s.ring, now
	}
	for _, e := range ring.Skipped() {
		s.log.Warn("dkim: key not loaded", "err", e)
	}
	s.ring, s.stamp = ring, stamp
	s.log.Info("dkim: keys loaded", "domains", len(ring.keys))
	return ring, now
}
