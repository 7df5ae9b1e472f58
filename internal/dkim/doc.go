// Package dkim is Petrel's DKIM: signing keys kept in the store's
// key/value storage (KeyStore), signing of outgoing mail and verification of incoming mail, on
// github.com/emersion/go-msgauth/dkim for canonicalisation and the
// signature itself.
//
// RFCs:
//   - RFC 6376 DomainKeys Identified Mail (DKIM) Signatures: the
//     DKIM-Signature field, relaxed canonicalisation, key records
//     (§3.6.1), which fields to sign (§5.4), verification (§6).
//   - RFC 8301 (rsa-sha256 only, RSA keys of at least 1024 bits; Petrel
//     makes 2048) and RFC 8463 (ed25519-sha256: a domain with an Ed25519
//     key signs twice, RSA and Ed25519).
//   - RFC 8601 §2.7.1: the result names of verification (pass, fail,
//     neutral, policy, temperror, permerror), and RFC 6008 for header.b.
//   - RFC 7489 §3.2: signing falls back to a parent domain up to the
//     organisational domain (public suffix list), where relaxed DMARC
//     alignment still holds.
//   - RFC 5890/5891: domains are named in lower-case A-label form.
//
// Keys: the value of "dkim/<domain>/<selector>.pem" in a KeyStore (the
// store's key/value storage, shared by every node: docs/architecture.md
// §Shared state), one PKCS#8 private key (PKCS#1 RSA keys made by other
// tools load too) after a "Created:" line that keeps the creation time
// (values without it use their modification time). Generate stores a new
// key durably and never replaces one, also against another node; Remove
// retires a key; Export returns it as a file (a backup). Import moves the
// key files of earlier versions (<data_dir>/dkim/<domain>/<selector>.pem)
// into the KeyStore once, renaming each to <selector>.pem.imported. A
// running Signer sees keys added or removed by any node or command within
// a few seconds without a restart. For rotation, a new key signs in place of an
// older one of the same algorithm only ActivationDelay after its
// creation, so that its record can be published first; a domain's only
// key of an algorithm signs at once.
//
// Signing (Signer.Sign) uses relaxed/relaxed canonicalisation, a
// timestamp (t=) and no body length (l=). It signs the fields of RFC 6376
// §5.4.1 that are present, and lists once more than they occur (so that
// no instance can be added without breaking the signature, §5.4.2, §8.15)
// From and the fields RFC 5322 §3.6 and RFC 2045 allow only once: Sender,
// Reply-To, To, Cc, Subject, Date, Message-ID, In-Reply-To, References,
// MIME-Version, Content-Type and Content-Transfer-Encoding. Absent fields
// are not listed, so that mailing lists may add theirs (List-*). Every
// distinct domain of the From field gets a signature (RFC 7489 §6.6.1
// lets receivers check each author domain).
//
// Verification (Verify) checks at most a given number of signatures
// (RFC 6376 §6.1 lets verifiers limit them against denial of service);
// the others are reported as "policy" without a key lookup. Failures are
// mapped to RFC 8601 results: a missing, revoked or malformed key is
// permerror (RFC 6376 §6.1.2 PERMFAIL), a DNS failure temperror
// (TEMPFAIL), a body hash or signature that does not match fail, and a
// signature the verifier refuses by policy (expired x=, l= present,
// rsa-sha1, an RSA key under 1024 bits: RFC 6376 §3.5, §8.2, RFC 8301)
// policy. Reasons are fixed texts, never Go error text.
package dkim
