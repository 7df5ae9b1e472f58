package dnsplan

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/petrelmail/petrel/internal/mtasts"
)

// CertSource is where the server's certificate comes from, which decides
// whether its key outlives a renewal (for the TLSA record).
type CertSource int

const (
	// CertSelfSigned: the self-signed certificate of the data directory.
	CertSelfSigned CertSource = iota
	// CertFiles: the configured files (tls.cert, tls.key).
	CertFiles
	// CertACME: obtained by ACME, whose renewals keep the key.
	CertACME
)

// TLSA is a TLSA record (RFC 6698 §2.1).
type TLSA struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// String is the record's data in zone-file syntax: "3 1 1 ab12...".
func (r TLSA) String() string {
	return fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, hex.EncodeToString(r.Data))
}

// DANEEE is the TLSA record that pins cert's public key: DANE-EE (3),
// SubjectPublicKeyInfo (1), SHA-256 (1) (RFC 7671 §5.1, RFC 7672 §3.1.1),
// the form that survives a renewal with the same key.
func DANEEE(cert *x509.Certificate) TLSA {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: sum[:]}
}

// tlsaName is the owner of the TLSA record of the SMTP service on port
// 25 of host (RFC 7672 §2.2.3, RFC 6698 §3).
func tlsaName(host string) string { return "_25._tcp." + host }

// TLSRPTRecord is the TLS reporting record asking for reports at rua
// (RFC 8460 §3).
func TLSRPTRecord(rua string) string { return "v=TLSRPTv1; rua=" + rua }

// STSRecord is the MTA-STS record announcing a policy of that id (RFC
// 8461 §3.1).
func STSRecord(id string) string { return "v=STSv1; id=" + id }

// tlsLines adds the records of transport security: MTA-STS, TLS
// reporting and the TLSA record of the MX host.
func (p *Plan) tlsLines(z *zone) {
	if p.STS != nil {
		z.comment("MTA-STS (RFC 8461): senders that support it find the policy through",
			"this record and fetch it from "+mtasts.PolicyURL(p.Domain)+",",
			fmt.Sprintf("which Petrel serves (mode %s, mx %s, max_age %d).", p.STS.Mode, strings.Join(p.STS.MX, " "), int64(p.STS.MaxAge.Seconds())),
			"The id is a hash of the policy: when the policy changes, publish the new id.")
		z.record("_mta-sts."+p.Domain, "TXT", STSRecord(p.STS.ID), "")
		z.comment("The policy host must reach Petrel's HTTPS listener with a certificate valid",
			"for mta-sts."+p.Domain+" (ACME obtains it).")
		z.record("mta-sts."+p.Domain, "CNAME", p.Host+".", "")
		z.blank()
	}
	if p.TLSRPT != "" {
		z.comment("TLS reporting (RFC 8460): senders report their TLS outcomes delivering to",
			p.Domain+" once a day; a mailto: address must take mail.")
		z.record("_smtp._tls."+p.Domain, "TXT", TLSRPTRecord(p.TLSRPT), "")
		z.blank()
	}
	p.tlsaLines(z)
}

func (p *Plan) tlsaLines(z *zone) {
	if p.TLSA == nil {
		z.comment("DANE (RFC 7672): no certificate found for a TLSA record; run petrel serve once",
			"(it makes or loads the certificate) and petrel dns again.")
		return
	}
	z.comment("DANE (RFC 7672): the key of the MX host's certificate: DANE-EE (3), public key",
		"(1), SHA-256 (1). Senders use it only in a DNSSEC-signed zone.")
	if !inZone(p.Host, p.Domain) {
		z.comment("It belongs in the zone of " + p.Host + ".")
	}
	switch p.CertSource {
	case CertACME:
		z.comment("ACME renewals keep the key (it is reused), so this record stays valid.")
	case CertFiles:
		z.comment("From tls.cert: before a new certificate with a new key is put in place, publish",
			"its record next to this one, and remove this one once the new one serves.")
	default:
		z.comment("From the self-signed certificate of this node: it is made again, with a new",
			"key, when the host name changes or it expires, and each node has its own. Give",
			"every node the same configured certificate (or ACME) before publishing this.")
	}
	z.record(tlsaName(p.Host), "TLSA", p.TLSA.String(), "")
}
