package scram

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
)

// The mechanism names (RFC 7677 §3).
const (
	SHA256     = "SCRAM-SHA-256"
	SHA256Plus = "SCRAM-SHA-256-PLUS"
)

// BindingType is the one channel binding type the server takes (RFC
// 9266 §2); ExporterLabel and ExporterLen are its exporter's input.
const (
	BindingType   = "tls-exporter"
	ExporterLabel = "EXPORTER-Channel-Binding"
	ExporterLen   = 32
)

var (
	// ErrDowngrade: the client supports channel binding and sent "y",
	// but the server supports it too (RFC 5802 §6: someone removed the
	// -PLUS mechanism from the list the client saw).
	ErrDowngrade = errors.New("SCRAM channel binding downgrade")
	// ErrBinding: the channel binding flag or data does not fit the
	// mechanism or the connection (RFC 5802 §6, §7).
	ErrBinding = errors.New("SCRAM channel binding mismatch")
	// ErrAuthzid: the authorization identity differs from the user.
	ErrAuthzid = errors.New("SCRAM authorization identity differs from the user")
	// ErrNonce: the client-final nonce is not the server-first one.
	ErrNonce = errors.New("SCRAM nonce mismatch")
)

// Lookup returns the secrets of a user. For a user that does not exist
// or has none, it returns secrets made up the same way each time, so
// that the exchange does not tell; the proof then fails.
type Lookup func(user string) (Secrets, error)

// Server is one server-side SCRAM exchange. Next takes the client's
// messages; when it reports done, the caller checks the proof with
// Verify (through its failed-login guard) and, when it holds, sends
// ServerFinal as the last challenge (RFC 5802 §5).
type Server struct {
	plus     bool
	exporter []byte // tls-exporter data; nil: the connection has none
	lookup   Lookup

	step        int
	first       clientFirst
	secrets     Secrets
	nonce       string
	serverFirst string
	final       clientFinal
	// fixedNonce, when set (tests), replaces the random server nonce.
	fixedNonce string
}

// NewServer starts an exchange of SCRAM-SHA-256 (plus false) or
// SCRAM-SHA-256-PLUS. exporter is the connection's tls-exporter channel
// binding data (RFC 9266 §2), nil when there is none (no TLS, or TLS 1.2
// without the extended master secret): then the server does not support
// channel binding, and must not advertise -PLUS.
func NewServer(plus bool, exporter []byte, lookup Lookup) *Server {
	return &Server{plus: plus, exporter: exporter, lookup: lookup}
}

// User is the authentication identity the client sent (decoded).
func (s *Server) User() string { return s.first.user }

// Next implements the server side of the SASL exchange: nil (no initial
// response) asks for the client-first-message with an empty challenge;
// the client-first-message gets the server-first-message; the
// client-final-message ends the exchange (done), the proof unchecked.
func (s *Server) Next(resp []byte) (challenge []byte, done bool, err error) {
	switch {
	case s.step == 0 && resp == nil:
		s.step = 1
		return []byte{}, false, nil
	case s.step <= 1:
		s.step = 2
		return s.onFirst(resp)
	case s.step == 2:
		s.step = 3
		return nil, true, s.onFinal(resp)
	}
	return nil, false, errors.New("scram: unexpected client response")
}

func (s *Server) onFirst(resp []byte) ([]byte, bool, error) {
	m, err := parseClientFirst(resp)
	if err != nil {
		return nil, false, err
	}
	s.first = m
	if err := s.checkFlag(); err != nil {
		return nil, false, err
	}
	if m.authz != "" && m.authz != m.user {
		return nil, false, ErrAuthzid
	}
	if s.secrets, err = s.lookup(m.user); err != nil {
		return nil, false, err
	}
	s.nonce = m.nonce + s.fixedNonce
	if s.fixedNonce == "" {
		b := make([]byte, 18)
		rand.Read(b)
		s.nonce += base64.RawStdEncoding.EncodeToString(b)
	}
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.secrets.Salt) +
		",i=" + strconv.Itoa(s.secrets.Iterations)
	return []byte(s.serverFirst), false, nil
}

// checkFlag applies RFC 5802 §6 to the gs2-cbind-flag.
func (s *Server) checkFlag() error {
	switch s.first.flag {
	case flagNone:
		if s.plus { // -PLUS means binding
			return ErrBinding
		}
	case flagNoServer:
		if s.plus {
			return ErrBinding
		}
		if s.exporter != nil {
			return ErrDowngrade
		}
	case flagBinding:
		if !s.plus || s.exporter == nil || s.first.cbName != BindingType {
			return ErrBinding
		}
	}
	return nil
}

func (s *Server) onFinal(resp []byte) error {
	m, err := parseClientFinal(resp)
	if err != nil {
		return err
	}
	want := []byte(s.first.gs2)
	if s.first.flag == flagBinding {
		want = append(want, s.exporter...)
	}
	if subtle.ConstantTimeCompare(m.binding, want) != 1 {
		return ErrBinding
	}
	if subtle.ConstantTimeCompare([]byte(m.nonce), []byte(s.nonce)) != 1 {
		return ErrNonce
	}
	s.final = m
	return nil
}

// Verify checks the client's proof against the secrets (RFC 5802 §3:
// ClientKey := ClientProof XOR ClientSignature, then H(ClientKey) must
// be StoredKey), in constant time, and returns the server-final-message
// (v=ServerSignature) when it holds. It is false before Next is done.
func (s *Server) Verify() (serverFinal []byte, ok bool) {
	if s.step != 3 || s.final.proof == nil {
		return nil, false
	}
	auth := []byte(s.first.bare + "," + s.serverFirst + "," + s.final.noProof)
	sig := mac(s.secrets.StoredKey, auth)
	if len(s.final.proof) != len(sig) {
		return nil, false
	}
	key := make([]byte, len(sig))
	subtle.XORBytes(key, s.final.proof, sig)
	stored := sha256.Sum256(key)
	if !hmac.Equal(stored[:], s.secrets.StoredKey) {
		return nil, false
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(mac(s.secrets.ServerKey, auth))), true
}

// Exporter returns the tls-exporter channel binding data of a TLS
// connection (RFC 9266 §2), nil when cs is nil or the connection cannot
// export it (TLS 1.2 without the extended master secret, RFC 9266 §3).
func Exporter(cs *tls.ConnectionState) []byte {
	if cs == nil || !cs.HandshakeComplete {
		return nil
	}
	b, err := cs.ExportKeyingMaterial(ExporterLabel, nil, ExporterLen)
	if err != nil {
		return nil
	}
	return b
}

// ConnExporter is Exporter of c when c is a *tls.Conn, else nil.
func ConnExporter(c net.Conn) []byte {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return nil
	}
	cs := tc.ConnectionState()
	return Exporter(&cs)
}
