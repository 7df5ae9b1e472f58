package certs

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The gauge follows the certificate in use: a reloaded file with another
// expiry shows at the next collection.
func TestExpiryGauge(t *testing.T) {
	dir := t.TempDir()
	gen := func(validFor time.Duration) ([]byte, []byte) {
		// generate makes Validity-long certificates from now; shift "now"
		// so that NotAfter = now + validFor.
		c, k, err := generate("ops.example", time.Now().Add(validFor-Validity))
		if err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	c1, k1 := gen(30 * 24 * time.Hour)
	cp, kp := writePair(t, dir, c1, k1)
	res, err := Load(Options{CertFile: cp, KeyFile: kp, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(res.ExpiryGauge())
	read := func() float64 {
		mfs, err := reg.Gather()
		if err != nil || len(mfs) != 1 || mfs[0].GetName() != "petrel_tls_certificate_expiry_days" {
			t.Fatalf("gathered %v, %v", mfs, err)
		}
		return mfs[0].GetMetric()[0].GetGauge().GetValue()
	}
	if d := read(); math.Abs(d-30) > 0.01 {
		t.Errorf("days = %v, want 30", d)
	}
	c2, k2 := gen(5 * 24 * time.Hour)
	writePair(t, dir, c2, k2)
	if err := res.Reloader.Reload(); err != nil {
		t.Fatal(err)
	}
	if d := read(); math.Abs(d-5) > 0.01 {
		t.Errorf("after reload: days = %v, want 5", d)
	}
}
