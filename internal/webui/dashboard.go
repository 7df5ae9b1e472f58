package webui

import (
	"fmt"
	"math"
	"net/http"
	"slices"
)

// dashData is the dashboard.
type dashData struct {
	Charts       []chart
	QueueOK      bool
	Queued       int64 // recipients waiting
	QueueByState map[string]int64
	Certs        []certDays
	Status       *Status
}

// certDays is a certificate's remaining validity.
type certDays struct {
	Name string
	Days int
	Low  bool // under 20 days: renewal is late (README "Certificates and transport security")
}

// chart is a 24-bar SVG chart, laid out here so that the template only
// writes numbers.
type chart struct {
	Title      string
	Total      int64
	Max        int64
	Bars       []bar
	Width      int
	Height     int // of the bars; FullHeight with the labels below
	FullHeight int
	LabelY     int // the baseline of the labels
}

type bar struct {
	X, Y, W, H int
	Label      string // the hour's count, as a tooltip
}

const (
	chartW, chartH = 480, 120
	barGap         = 2
)

// newChart lays out values (one per hour, oldest first).
func newChart(title string, values [24]float64) chart {
	c := chart{Title: title, Width: chartW, Height: chartH, FullHeight: chartH + 16, LabelY: chartH + 12}
	var hi float64
	for _, v := range values {
		hi = max(hi, v)
		c.Total += int64(math.Round(v))
	}
	c.Max = int64(math.Round(hi))
	w := chartW / len(values)
	for i, v := range values {
		h := 0
		if hi > 0 {
			h = int(math.Round(v / hi * (chartH - 1)))
		}
		c.Bars = append(c.Bars, bar{X: i * w, Y: chartH - h, W: w - barGap, H: h,
			Label: fmt.Sprintf("%d h ago: %d", len(values)-1-i, int64(math.Round(v)))})
	}
	return c
}

func (u *UI) dashboard(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	d := &dashData{}
	v.Title, v.Data = "Dashboard", d
	if u.Sampler != nil {
		in, out, rej := u.Sampler.Hourly()
		d.Charts = []chart{newChart("Messages in", in), newChart("Messages out", out), newChart("Rejections", rej)}
		d.Certs = u.certs()
	}
	if u.Queue != nil {
		if c, err := u.Queue.Counts(ctx); err == nil {
			d.QueueOK = true
			d.Queued = queueTotal(c)
			d.QueueByState = map[string]int64{}
			for st, n := range c {
				d.QueueByState[st.String()] = n
			}
		} else {
			u.Log.Warn("dashboard: counting the queue failed", "err", err)
		}
	}
	if u.Status != nil {
		st := u.Status(ctx)
		d.Status = &st
	}
	u.render(w, http.StatusOK, "dashboard", v)
}

// certs are the certificates in use and their days to expiry, from the
// gauges of the metrics.
func (u *UI) certs() []certDays {
	var out []certDays
	add := func(name string, days float64) {
		out = append(out, certDays{Name: name, Days: int(math.Floor(days)), Low: days < 20})
	}
	for _, d := range u.Sampler.Gauge("petrel_tls_certificate_expiry_days", "") {
		add("[tls] certificate", d)
	}
	acme := u.Sampler.Gauge("petrel_acme_certificate_expiry_days", "name")
	names := make([]string, 0, len(acme))
	for n := range acme {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		add(n+" (ACME)", acme[n])
	}
	return out
}
