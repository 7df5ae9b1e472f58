package certs

import (
	"crypto/tls"
	"fmt"
)

// ParseMinVersion maps [tls] min_version ("1.2", "1.3"; "" = "1.2") to
// its tls constant.
func ParseMinVersion(s string) (uint16, error) {
	switch s {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("tls.min_version %q: must be \"1.2\" or \"1.3\"", s)
}

// CipherSuites are the TLS 1.2 suites every listener offers: ECDHE key
// exchange (forward secrecy) with an AEAD cipher only, per RFC 9325 §4.2
// (no RSA key exchange, no CBC, no RC4 or 3DES). TLS 1.3's suites are all
// AEAD and not configurable. README "Certificates and transport security".
func CipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// serverConfig is the one TLS configuration of every listener: the
// certificate from get on every handshake (so that a replaced certificate
// is picked up by the next one), the minimum version, the suites above,
// and session resumption with tickets (RFC 8446 §2.2, RFC 5077), whose
// keys crypto/tls makes and rotates itself.
func serverConfig(minVersion uint16, get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion:             minVersion,
		CipherSuites:           CipherSuites(),
		GetCertificate:         get,
		SessionTicketsDisabled: false,
	}
}
