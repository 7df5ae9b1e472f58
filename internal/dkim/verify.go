package dkim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/header"
)

// Result names of RFC 8601 §2.7.1 for the "dkim" method.
const (
	Pass      = "pass"
	Fail      = "fail"
	Neutral   = "neutral"
	Policy    = "policy"
	TempError = "temperror"
	PermError = "permerror"
)

// DefaultMaxSignatures is the number of signatures Verify checks when it
// is given no positive limit.
const DefaultMaxSignatures = 5

// sigPrefixLen is the length of Result.SigPrefix: RFC 6008 §4 asks for at
// least 8 characters of b= to tell signatures apart.
const sigPrefixLen = 12

// Result is the outcome of one DKIM-Signature field.
type Result struct {
	Domain     string // d=, lower case (header.d)
	Selector   string // s= (header.s)
	Algorithm  string // a=, e.g. "rsa-sha256" (header.a)
	Identifier string // i=, or "@" + d= (header.i)
	Status     string // Pass, Fail, Neutral, Policy, TempError, PermError
	Reason     string // why, for anything but Pass; fixed text
	SigPrefix  string // the first characters of b= (header.b, RFC 6008)
}

// TXTResolver looks up TXT records; dnsr.Resolver is one. Each string
// returned is one record, its character-strings joined.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Verify checks the DKIM signatures of the message read from msg, in the
// order of their fields, at most max of them (DefaultMaxSignatures when
// max < 1); the ones past max are reported as Policy without a key
// lookup (RFC 6376 §6.1 lets verifiers limit the signatures they try). A
// message without signatures gives no results. DNS failures are results
// (TempError); the error is for reading msg, or header.ErrTooLarge for a
// header section over header.MaxSection. Verify may leave msg
// partly unread.
func Verify(ctx context.Context, r TXTResolver, msg io.Reader, max int) ([]Result, error) {
	br := bufio.NewReader(msg)
	raw, fields, err := header.Read(br, header.MaxSection)
	if err != nil {
		return nil, err
	}
	return VerifyRead(ctx, r, raw, fields, br, max)
}

// VerifyRead is Verify for a message whose header section the caller
// has read already with header.Read (raw as it arrived, through the
// empty line, and its fields), and body, the rest: the checks of
// internal/msgauth read the header once for DMARC and DKIM. raw is not
// changed. A message without signatures is not read further.
func VerifyRead(ctx context.Context, r TXTResolver, raw []byte, fields []header.Field, body io.Reader, max int) ([]Result, error) {
	if max < 1 {
		max = DefaultMaxSignatures
	}
	var sigs []map[string]string
	for _, f := range fields {
		if f.Is("DKIM-Signature") {
			sigs = append(sigs, tags(f.Value()))
		}
	}
	if len(sigs) == 0 {
		return nil, nil
	}
	opts := &msgdkim.VerifyOptions{LookupTXT: keyLookup(ctx, r), MaxVerifications: max}
	verifs, err := msgdkim.VerifyWithOptions(io.MultiReader(bytes.NewReader(asSigned(raw)), body), opts)
	if err != nil && !errors.Is(err, msgdkim.ErrTooManySignatures) {
		return nil, err
	}
	results := make([]Result, len(sigs))
	for i, t := range sigs {
		results[i] = newResult(t)
		if i >= len(verifs) {
			// RFC 6376 §6.1: verifiers MAY limit the signatures they try.
			results[i].Status, results[i].Reason = Policy, "too many signatures, not checked"
			continue
		}
		if v := verifs[i]; v.Identifier != "" {
			results[i].Identifier = v.Identifier
		}
		results[i].Status, results[i].Reason = classify(verifs[i].Err)
	}
	return results, nil
}

// newResult fills in what a signature says about itself.
func newResult(t map[string]string) Result {
	res := Result{
		Domain:    strings.ToLower(t["d"]),
		Selector:  t["s"],
		Algorithm: strings.ToLower(t["a"]),
		SigPrefix: t["b"],
	}
	if len(res.SigPrefix) > sigPrefixLen {
		res.SigPrefix = res.SigPrefix[:sigPrefixLen]
	}
	res.Identifier = t["i"]
	if res.Identifier == "" && res.Domain != "" {
		res.Identifier = "@" + res.Domain
	}
	return res
}

// policyReason returns, for go-msgauth's permanent failures that are the
// verifier's choice rather than a broken signature or key (RFC 8601
// §2.7.1 "policy"), the reason reported; "" for the others.
func policyReason(reason string) string {
	switch reason {
	case "signature has expired": // x=, RFC 6376 §3.5
		return "signature expired"
	case "hash algorithm too weak": // RFC 8301 §3.1
		return "rsa-sha1 is not accepted"
	case "key is too short": // RFC 8301 §3.2
		return "RSA key shorter than 1024 bits"
	case "message contains an insecure body length tag": // RFC 6376 §8.2
		return "body length (l=) is not accepted"
	}
	return ""
}

// classify maps a go-msgauth verification error to an RFC 8601 result and
// a reason of fixed text: go-msgauth's message up to its first ": ",
// which is where it appends the text of other errors.
func classify(err error) (status, reason string) {
	if err == nil {
		return Pass, ""
	}
	reason = strings.TrimPrefix(err.Error(), "dkim: ")
	reason, _, _ = strings.Cut(reason, ": ")
	switch {
	case msgdkim.IsTempFail(err):
		return TempError, reason
	case policyReason(reason) != "":
		return Policy, policyReason(reason)
	case msgdkim.IsPermFail(err):
		// RFC 6376 §6.1.2: no key, revoked key (empty p=) and key
		// syntax errors are PERMFAIL.
		return PermError, reason
	}
	// Body hash or signature mismatch (RFC 6376 §6.1.3).
	return Fail, reason
}

// keyLookup adapts r to go-msgauth, which tells a temporary DNS failure
// from a missing key through net.Error's Temporary: a name that does not
// exist or has no TXT record gives no key (permerror, RFC 6376 §6.1.2);
// any other failure is temporary (temperror).
func keyLookup(ctx context.Context, r TXTResolver) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		txts, err := r.LookupTXT(ctx, name)
		switch {
		case err == nil:
			return txts, nil
		case dnsr.IsNotFound(err):
			return nil, &lookupError{msg: "no key record"}
		}
		return nil, &lookupError{msg: "DNS failure", temporary: true}
	}
}

// lookupError is a key lookup failure as go-msgauth wants it: a net.Error.
type lookupError struct {
	msg       string
	temporary bool
}

func (e *lookupError) Error() string   { return e.msg }
func (e *lookupError) Timeout() bool   { return false }
func (e *lookupError) Temporary() bool { return e.temporary }
