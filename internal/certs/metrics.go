package certs

import (
	"crypto/tls"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ExpiryGauge is petrel_tls_certificate_expiry_days: days until the
// certificate of Base (the [tls] files or the self-signed one) expires,
// read at each collection, so that a reloaded certificate shows at once
// (README "Certificates and transport security").
func (r *Result) ExpiryGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "petrel", Subsystem: "tls", Name: "certificate_expiry_days",
		Help: "Days until the [tls] certificate (configured or self-signed) expires.",
	}, func() float64 {
		c, err := r.Base(&tls.ClientHelloInfo{})
		if err != nil || c == nil || c.Leaf == nil {
			return 0
		}
		return time.Until(c.Leaf.NotAfter).Hours() / 24
	})
}
