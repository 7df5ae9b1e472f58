package screen

import (
	"context"
	"net/netip"

	"github.com/petrelmail/petrel/internal/dnslist"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/envelope"
)

// dnsList is a configured list and whether it is an allowlist.
type dnsList struct {
	dnslist.List
	allow bool
}

// answer is one list's answer about one client.
type answer struct {
	i        int // index in the lists asked
	listed   bool
	answered bool
}

// lookup asks every list about ip at once and returns the verdict when
// all have answered or LookupTimeout has passed, whichever comes first:
// a list still asking then counts as not listing the client, and its
// lookup is cancelled (the session never waits for it past the limit).
func (s *Screen) lookup(ctx context.Context, ip netip.Addr) envelope.Screening {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	defer cancel()
	lists := make([]dnsList, 0, len(s.cfg.Blocklists)+len(s.cfg.Allowlists))
	for _, l := range s.cfg.Blocklists {
		lists = append(lists, dnsList{l, false})
	}
	for _, l := range s.cfg.Allowlists {
		lists = append(lists, dnsList{l, true})
	}
	ch := make(chan answer, len(lists)) // buffered: a late lookup never blocks
	for i, l := range lists {
		go func() {
			// RFC 5782 §2.1: the client is listed when the name has an
			// A record; NXDOMAIN (or no A record) means not listed.
			addrs, err := s.r.LookupA(ctx, dnslist.QueryName(ip, l.Zone))
			a := answer{i: i, answered: err == nil || dnsr.IsNotFound(err)}
			for _, ad := range addrs {
				a.listed = a.listed || l.Matches(ad)
			}
			ch <- a
		}()
	}
	res := envelope.Screening{}
	if len(s.cfg.Blocklists) > 0 {
		res.Threshold = s.cfg.Threshold
	}
	got := make([]answer, len(lists)) // in the lists' order, for the verdict
wait:
	for range lists {
		select {
		case a := <-ch:
			got[a.i] = a
		case <-ctx.Done():
			break wait
		}
	}
	for i, l := range lists {
		s.add(&res, l, got[i]) // the zero answer: unanswered
	}
	return res
}

// add counts one list's answer into the verdict.
func (s *Screen) add(res *envelope.Screening, l dnsList, a answer) {
	outcome := "clean"
	switch {
	case !a.answered:
		outcome = "unanswered"
		res.Unanswered = append(res.Unanswered, l.Zone)
	case a.listed && l.allow:
		outcome = "listed"
		if res.Allowed == "" {
			res.Allowed = l.Zone
		}
	case a.listed:
		outcome = "listed"
		res.Score += l.Weight
		res.Listed = append(res.Listed, l.Zone)
	}
	s.m.lookups.WithLabelValues(l.Zone, outcome).Inc()
}
