package imapd

import (
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestClientCondstoreSearch: an independent client (go-imap v2) reads
// HIGHESTMODSEQ from SELECT (CONDSTORE) and STATUS, MODSEQ from FETCH,
// makes a conditional STORE that succeeds and one that fails, resyncs
// with CHANGEDSINCE and searches with MODSEQ and ESEARCH (RFC 7162, RFC
// 4731).
func TestClientCondstoreSearch(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(3)
	c := e.imapClient(nil)
	sel, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{HighestModSeq: true}).Wait()
	if err != nil || sel.HighestModSeq == 0 || st.HighestModSeq != sel.HighestModSeq {
		t.Fatalf("SELECT HIGHESTMODSEQ %d, STATUS %d, %v", sel.HighestModSeq, st.HighestModSeq, err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{UID: true, ModSeq: true}).Collect()
	if err != nil || len(msgs) != 3 || msgs[0].ModSeq == 0 || msgs[2].ModSeq > sel.HighestModSeq {
		t.Fatalf("FETCH MODSEQ: %+v %v", msgs, err)
	}
	ms1 := msgs[0].ModSeq

	flagged := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}}
	got, err := c.Store(imap.SeqSetNum(1), flagged, &imap.StoreOptions{UnchangedSince: ms1}).Collect()
	if err != nil || len(got) != 1 || got[0].ModSeq <= sel.HighestModSeq || !slices.Contains(got[0].Flags, imap.FlagFlagged) {
		t.Fatalf("conditional STORE: %+v %v", got, err)
	}
	ms1b := got[0].ModSeq
	// Message 1 changed since ms1: the same STORE of \Seen now fails and
	// changes nothing.
	seen := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}
	if got, err := c.Store(imap.SeqSetNum(1), seen, &imap.StoreOptions{UnchangedSince: ms1}).Collect(); err != nil || len(got) != 0 {
		t.Fatalf("stale conditional STORE: %+v %v", got, err)
	}
	changed, err := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{UID: true, Flags: true, ChangedSince: sel.HighestModSeq}).Collect()
	if err != nil || len(changed) != 1 || changed[0].UID != 1 || changed[0].ModSeq != ms1b ||
		slices.Contains(changed[0].Flags, imap.FlagSeen) {
		t.Fatalf("FETCH CHANGEDSINCE: %+v %v", changed, err)
	}

	res, err := c.UIDSearch(&imap.SearchCriteria{ModSeq: &imap.SearchCriteriaModSeq{ModSeq: ms1b}}, nil).Wait()
	if err != nil || !slices.Equal(res.AllUIDs(), []imap.UID{1}) || res.ModSeq != ms1b {
		t.Fatalf("UID SEARCH MODSEQ: %+v %v", res, err)
	}
	res, err = c.Search(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagFlagged}},
		&imap.SearchOptions{ReturnMin: true, ReturnMax: true, ReturnCount: true}).Wait()
	if err != nil || res.Min != 2 || res.Max != 3 || res.Count != 2 {
		t.Fatalf("ESEARCH: %+v %v", res, err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
}
