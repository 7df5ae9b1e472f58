package tlsrpt

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
)

// SendDue sends the reports of the days that ended at least
// Config.SendAfter ago, when this node gets the "tlsrpt-send" lease
// (another node holding it sends them: nothing is done here). A report
// that could not be sent (its domain's DNS failed, or the Sender did) is
// tried again at the next call, for up to a week.
func (r *Reporter) SendDue(ctx context.Context) error {
	lease, err := store.AcquireLease(ctx, r.d.Locks, leaseName, r.cfg.Node, leaseTTL)
	if err != nil || lease == nil {
		return err
	}
	defer lease.Release(context.WithoutCancel(ctx))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-lease.Lost():
			cancel()
		case <-ctx.Done():
		}
	}()
	now := r.d.Now().UTC()
	groups, err := r.entries(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, k := range slices.SortedFunc(maps.Keys(groups), func(a, b dayDomain) int {
		return strings.Compare(a.day+"/"+a.domain, b.day+"/"+b.domain)
	}) {
		day, _ := time.Parse(time.DateOnly, k.day) // entries checked it
		if now.Before(day.Add(24*time.Hour + r.cfg.SendAfter)) {
			continue
		}
		if err := r.sendOne(ctx, k, day, groups[k], now); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, r.pruneSent(ctx, now))
	return errors.Join(errs...)
}

// entries lists the nodes' entries by day and domain; keys that are not
// entries are ignored.
func (r *Reporter) entries(ctx context.Context) (map[dayDomain][]string, error) {
	infos, err := r.d.KV.KVList(ctx, dayPrefix)
	if err != nil {
		return nil, err
	}
	groups := map[dayDomain][]string{}
	for _, info := range infos {
		// DAY/DOMAIN/NODE: a node name may hold "/" (obs.ProcessName's
		// host/pid/random), a day or a domain never does.
		parts := strings.SplitN(strings.TrimPrefix(info.Key, dayPrefix), "/", 3)
		if len(parts) != 3 {
			continue
		}
		if _, err := time.Parse(time.DateOnly, parts[0]); err != nil {
			continue
		}
		k := dayDomain{day: parts[0], domain: parts[1]}
		groups[k] = append(groups[k], info.Key)
	}
	return groups, nil
}

// sendOne merges the entries keys of one day and domain, sends their
// report to the domain's rua mailto: addresses, marks it sent and removes
// the entries.
func (r *Reporter) sendOne(ctx context.Context, k dayDomain, day time.Time, keys []string, now time.Time) error {
	log := r.d.Log.With("policy_domain", k.domain, "day", k.day)
	if sent, err := r.d.KV.KVExists(ctx, sentKey(k)); err != nil || sent {
		if sent {
			return r.remove(ctx, keys) // stragglers
		}
		return err
	}
	var d dayData
	for _, key := range keys {
		e, err := r.load(ctx, key)
		if err != nil {
			return err
		}
		d.merge(e)
	}
	if d.empty() {
		return r.done(ctx, k, keys, "")
	}
	if now.Sub(day) > keepSent {
		log.Warn("tlsrpt: report not sent for a week: dropped")
		return r.done(ctx, k, keys, "")
	}
	rec, err := Discover(ctx, r.d.DNS, k.domain, r.d.IsNotFound)
	switch {
	case errors.Is(err, ErrNoRecord):
		log.Debug("tlsrpt: no TLS-RPT record: no report", "err", err)
		return r.done(ctx, k, keys, "")
	case err != nil:
		return err
	case len(rec.Mailto) == 0:
		log.Info("tlsrpt: no mailto: rua (https is not supported): no report", "rua_https", len(rec.HTTPS))
		return r.done(ctx, k, keys, "")
	}
	uniq := obs.NewID()
	ri := reportInfo{org: r.cfg.Organization, contact: r.cfg.Contact, submitter: r.cfg.Hostname, domain: k.domain,
		day: day, uniq: uniq, id: strings.ReplaceAll(k.day, "-", "") + "." + uniq + "@" + r.cfg.Hostname}
	gz, err := gzipJSON(ri.build(d))
	if err != nil {
		return err
	}
	m := Mail{From: r.cfg.From, To: rec.Mailto, PolicyDomain: k.domain, Data: ri.mail(r.cfg.From, rec.Mailto, gz, now)}
	if err := r.d.Sender.SendReport(ctx, m); err != nil {
		return err
	}
	var ok, failed int64
	for _, p := range d.Policies {
		ok, failed = ok+p.Success, failed+p.Failure
	}
	log.Info("tlsrpt: report sent", "report_id", ri.id, "to", strings.Join(rec.Mailto, ","),
		"policies", len(d.Policies), "successful", ok, "failed", failed)
	return r.done(ctx, k, keys, ri.id)
}

// done marks the report of k sent (id: its report-id, "" for none sent)
// and removes its entries.
func (r *Reporter) done(ctx context.Context, k dayDomain, keys []string, id string) error {
	if id == "" {
		id = "-"
	}
	if err := r.d.KV.KVCreate(ctx, sentKey(k), []byte(id)); err != nil && !store.IsKind(err, store.KindExists) {
		return err
	}
	return r.remove(ctx, keys)
}

func (r *Reporter) remove(ctx context.Context, keys []string) error {
	for _, key := range keys {
		if err := r.d.KV.KVDelete(ctx, key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return err
		}
	}
	return nil
}

// pruneSent removes the marks of reports older than keepSent.
func (r *Reporter) pruneSent(ctx context.Context, now time.Time) error {
	infos, err := r.d.KV.KVList(ctx, sentPrefix)
	if err != nil {
		return err
	}
	for _, info := range infos {
		day, _, _ := strings.Cut(strings.TrimPrefix(info.Key, sentPrefix), "/")
		t, err := time.Parse(time.DateOnly, day)
		if err != nil || now.Sub(t) <= keepSent {
			continue
		}
		if err := r.d.KV.KVDelete(ctx, info.Key); err != nil && !store.IsKind(err, store.KindNotFound) {
			return err
		}
	}
	return nil
}
