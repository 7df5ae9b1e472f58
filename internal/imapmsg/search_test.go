package imapmsg

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// latin1 is a message in ISO-8859-1, quoted-printable, without a Date:.
const latin1 = "From: Dora <dora@example.com>\r\n" +
	"To: someone@example.com\r\n" +
	"Subject: menu\r\n" +
	"Content-Type: text/plain; charset=iso-8859-1\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Caf=E9 cr=E8me, GROSSE STRASSE 1, a very long line that goes on a=\r\n" +
	"nd on\r\n"

// searchMsg is one message of the search tests.
type searchMsg struct {
	file     string // in the corpus, or "latin1"
	flags    store.Flags
	keywords []string
	recent   bool
	date     time.Time
}

func searchMailbox() []searchMsg {
	est := time.FixedZone("EST", -5*3600)
	cest := time.FixedZone("CEST", 2*3600)
	return []searchMsg{
		1: {"simple.eml", store.FlagSeen, []string{"$Label"}, false, time.Date(2024, 6, 3, 23, 30, 0, 0, est)},
		2: {"alternative.eml", store.FlagFlagged | store.FlagAnswered, []string{"Work"}, true, time.Date(2024, 6, 4, 8, 31, 0, 0, time.UTC)},
		3: {"attachment.eml", store.FlagDeleted | store.FlagDraft, nil, false, time.Date(2024, 6, 5, 18, 15, 0, 0, time.UTC)},
		4: {"nested.eml", store.FlagSeen, nil, true, time.Date(2024, 6, 6, 8, 0, 0, 0, time.UTC)},
		5: {"encoded.eml", 0, nil, false, time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
		6: {"latin1", store.FlagSeen | store.FlagAnswered, nil, false, time.Date(2024, 6, 7, 0, 30, 0, 0, cest)},
		7: {"groups.eml", 0, nil, true, time.Date(2024, 6, 8, 12, 0, 0, 0, time.UTC)},
	}
}

// candidates builds the mailbox's candidates; opened counts Meta and Body
// calls and closed Blob closes.
type searchEnv struct {
	cands         []*Candidate
	metas, bodies int
	closed        int
}

func newSearchEnv(t *testing.T) *searchEnv {
	env := &searchEnv{}
	for uid, sm := range searchMailbox() {
		if uid == 0 {
			continue
		}
		raw := []byte(latin1)
		if sm.file != "latin1" {
			raw, _ = load(t, sm.file)
		}
		meta := msgmeta.ParseBytes(raw)
		env.cands = append(env.cands, &Candidate{
			Msg: store.Message{UID: store.UID(uid), ModSeq: store.ModSeq(uid * 10), Flags: sm.flags,
				Keywords: sm.keywords, InternalDate: sm.date, Size: int64(len(raw))},
			Recent: sm.recent,
			Meta:   func() (*msgmeta.Meta, error) { env.metas++; return meta, nil },
			Body:   func() (store.Blob, error) { env.bodies++; return newBlob(raw, &env.closed), nil },
		})
	}
	return env
}

func (env *searchEnv) run(t *testing.T, k SearchKey) []store.UID {
	t.Helper()
	var got []store.UID
	for _, c := range env.cands {
		ok, err := Match(&k, c)
		if err != nil {
			t.Fatalf("Match(%+v, %d): %v", k, c.Msg.UID, err)
		}
		if ok {
			got = append(got, c.Msg.UID)
		}
	}
	return got
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

type searchCase struct {
	name string
	key  SearchKey
	want []store.UID
}

func searchCases() []searchCase {
	all := []store.UID{1, 2, 3, 4, 5, 6, 7}
	k := func(kind SearchKind) SearchKey { return SearchKey{Kind: kind} }
	txt := func(kind SearchKind, s string) SearchKey { return SearchKey{Kind: kind, Text: s} }
	date := func(kind SearchKind, d time.Time) SearchKey { return SearchKey{Kind: kind, Date: d} }
	num := func(kind SearchKind, n int64) SearchKey { return SearchKey{Kind: kind, Number: n} }
	return []searchCase{
		{"ALL", k(All), all},
		{"ANSWERED", k(Answered), []store.UID{2, 6}},
		{"UNANSWERED", k(Unanswered), []store.UID{1, 3, 4, 5, 7}},
		{"DELETED", k(Deleted), []store.UID{3}},
		{"UNDELETED", k(Undeleted), []store.UID{1, 2, 4, 5, 6, 7}},
		{"DRAFT", k(Draft), []store.UID{3}},
		{"UNDRAFT", k(Undraft), []store.UID{1, 2, 4, 5, 6, 7}},
		{"FLAGGED", k(Flagged), []store.UID{2}},
		{"UNFLAGGED", k(Unflagged), []store.UID{1, 3, 4, 5, 6, 7}},
		{"SEEN", k(Seen), []store.UID{1, 4, 6}},
		{"UNSEEN", k(Unseen), []store.UID{2, 3, 5, 7}},
		{"NEW = RECENT UNSEEN", k(New), []store.UID{2, 7}},
		{"OLD = NOT RECENT", k(Old), []store.UID{1, 3, 5, 6}},
		{"RECENT", k(Recent), []store.UID{2, 4, 7}},
		{"KEYWORD any case", txt(Keyword, "$label"), []store.UID{1}},
		{"KEYWORD Work", txt(Keyword, "WORK"), []store.UID{2}},
		{"KEYWORD system flag", txt(Keyword, `\seen`), []store.UID{1, 4, 6}},
		{"UNKEYWORD", txt(Unkeyword, "$Label"), []store.UID{2, 3, 4, 5, 6, 7}},
		// Internal dates: the day in the time's own zone.
		{"BEFORE", date(Before, day(2024, 6, 4)), []store.UID{1, 5}},
		{"ON 3-Jun (23:30 -0500 is 3-Jun)", date(On, day(2024, 6, 3)), []store.UID{1, 5}},
		{"ON 7-Jun (00:30 +0200 is 7-Jun)", date(On, day(2024, 6, 7)), []store.UID{6}},
		{"SINCE", date(Since, day(2024, 6, 6)), []store.UID{4, 6, 7}},
		// Date: header; latin1 has none and uses its internal date.
		{"SENTBEFORE", date(SentBefore, day(2024, 6, 4)), []store.UID{1, 5, 7}},
		{"SENTON", date(SentOn, day(2024, 6, 3)), []store.UID{1, 5, 7}},
		{"SENTON without Date:", date(SentOn, day(2024, 6, 7)), []store.UID{6}},
		{"SENTSINCE", date(SentSince, day(2024, 6, 5)), []store.UID{3, 4, 6}},
		{"LARGER", num(Larger, 600), []store.UID{2, 3, 4}},
		{"SMALLER", num(Smaller, 600), []store.UID{5, 6, 7}},
		{"UID", SearchKey{Kind: UID, UIDs: []UIDRange{{2, 4}, {7, 7}}}, []store.UID{2, 3, 4, 7}},
		{"UID empty range", SearchKey{Kind: UID, UIDs: []UIDRange{{Lo: 1, Hi: 0}}}, nil},
		{"resolved sequence set", SearchKey{Kind: SeqSet, UIDs: []UIDRange{{1, 1}, {6, 9}}}, []store.UID{1, 6, 7}},
		{"MODSEQ", num(ModSeq, 40), []store.UID{4, 5, 6, 7}},
		// Header keys match decoded values, case-folded.
		{"FROM", txt(From, "ALICE"), []store.UID{1, 7}},
		{"FROM decoded word", txt(From, "JÖRG müller"), []store.UID{5}},
		{"FROM domain", txt(From, "example.net"), []store.UID{3, 4}},
		{"TO", txt(To, "bob"), []store.UID{1, 2, 3}},
		{"CC", txt(Cc, "bee"), []store.UID{7}},
		{"BCC", txt(Bcc, "john doe"), []store.UID{7}},
		{"SUBJECT", txt(Subject, "DEALS"), []store.UID{2, 4}},
		{"SUBJECT unfolded", txt(Subject, "lunch tomorrow"), []store.UID{1}},
		{"SUBJECT encoded words", txt(Subject, "GRÜSSE AUS KÖLN"), []store.UID{5}},
		{"HEADER presence", SearchKey{Kind: Header, Field: "x-koi"}, []store.UID{5}},
		{"HEADER KOI8-R word", SearchKey{Kind: Header, Field: "X-Koi", Text: "привет"}, []store.UID{5}},
		{"HEADER top level only", SearchKey{Kind: Header, Field: "Message-ID", Text: "deals-42"}, []store.UID{2}},
		{"HEADER Received", SearchKey{Kind: Header, Field: "RECEIVED", Text: ""}, []store.UID{1}},
		// BODY: decoded text parts only.
		{"BODY 8bit UTF-8", txt(Body, "CAFÉ"), []store.UID{1, 6}},
		{"BODY quoted-printable", txt(Body, "20% off €"), []store.UID{2}},
		{"BODY soft line break", txt(Body, "goes on and on"), []store.UID{6}},
		{"BODY ß folds to ss", txt(Body, "große straße"), []store.UID{6}},
		{"BODY in an encapsulated message", txt(Body, "deals."), []store.UID{4}},
		{"BODY not attachments", txt(Body, "fake pdf"), nil},
		{"BODY not headers", txt(Body, "Newsletter"), nil},
		{"BODY not preambles", txt(Body, "multi-part message"), nil},
		{"BODY us-ascii part holding UTF-8", txt(Body, "RÉSUMÉ"), []store.UID{3}},
		{"BODY empty", txt(Body, ""), all},
		// TEXT: also every header, decoded.
		{"TEXT headers", txt(Text, "newsletter"), []store.UID{2, 4}},
		{"TEXT MIME headers", txt(Text, "charset"), []store.UID{1, 2, 4, 5, 6}},
		// 3 in a parameter, 5 in an encoded word of an unknown charset,
		// which stays as written.
		{"TEXT parameter", txt(Text, "x-unknown"), []store.UID{3, 5}},
		{"TEXT field name", txt(Text, "subject: lunch"), []store.UID{1}},
		{"TEXT body", txt(Text, "crème"), []store.UID{6}},
		{"TEXT empty", txt(Text, ""), all},
		{"NOT", SearchKey{Kind: Not, Children: []SearchKey{k(Seen)}}, []store.UID{2, 3, 5, 7}},
		{"OR", SearchKey{Kind: Or, Children: []SearchKey{k(Seen), k(Flagged)}}, []store.UID{1, 2, 4, 6}},
		{"AND", SearchKey{Kind: And, Children: []SearchKey{txt(Subject, "deals"), k(Seen)}}, []store.UID{4}},
		{"AND of nothing", k(And), all},
		{"NOT of nothing", k(Not), nil},
		{"unknown kind", k(SearchKind(999)), nil},
	}
}

func TestSearch(t *testing.T) {
	env := newSearchEnv(t)
	covered := map[SearchKind]bool{}
	for _, c := range searchCases() {
		covered[c.key.Kind] = true
		if got := env.run(t, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	for kind := All; kind <= And; kind++ {
		if !covered[kind] {
			t.Errorf("search kind %d has no test case", kind)
		}
	}
	if env.closed != env.bodies {
		t.Errorf("%d blobs opened, %d closed", env.bodies, env.closed)
	}
}

// TestSearchLoadsLazily: metadata and body are loaded only for keys that
// need them, once per Match, and AND tries the cheap keys first.
func TestSearchLoadsLazily(t *testing.T) {
	env := newSearchEnv(t)
	env.run(t, SearchKey{Kind: Or, Children: []SearchKey{{Kind: Seen}, {Kind: UID, UIDs: []UIDRange{{1, 3}}}}})
	if env.metas+env.bodies != 0 {
		t.Errorf("flag keys loaded %d metas, %d bodies", env.metas, env.bodies)
	}
	env.run(t, SearchKey{Kind: And, Children: []SearchKey{{Kind: Body, Text: "x"}, {Kind: Subject, Text: "zzz"}, {Kind: Flagged}}})
	// Only message 2 is flagged; its subject does not match: one meta, no body.
	if env.metas != 1 || env.bodies != 0 {
		t.Errorf("AND: %d metas, %d bodies; want 1, 0", env.metas, env.bodies)
	}
	env.metas, env.bodies, env.closed = 0, 0, 0
	env.run(t, SearchKey{Kind: Or, Children: []SearchKey{{Kind: Text, Text: "zzz"}, {Kind: Body, Text: "yyy"}}})
	if env.metas != 7 || env.bodies != 7 || env.closed != 7 {
		t.Errorf("TEXT OR BODY: %d metas, %d bodies, %d closed; want 7 each", env.metas, env.bodies, env.closed)
	}
}

func TestNeeds(t *testing.T) {
	cases := []struct {
		k          SearchKey
		meta, body bool
	}{
		{SearchKey{Kind: Seen}, false, false},
		{SearchKey{Kind: Larger}, false, false},
		{SearchKey{Kind: SentOn}, true, false},
		{SearchKey{Kind: Header}, true, false},
		{SearchKey{Kind: Body}, true, true},
		{SearchKey{Kind: Not, Children: []SearchKey{{Kind: Or, Children: []SearchKey{{Kind: Seen}, {Kind: Text}}}}}, true, true},
	}
	for _, c := range cases {
		if NeedsMeta(&c.k) != c.meta || NeedsBody(&c.k) != c.body {
			t.Errorf("%+v: NeedsMeta %v NeedsBody %v, want %v %v", c.k, NeedsMeta(&c.k), NeedsBody(&c.k), c.meta, c.body)
		}
	}
}

func TestSearchErrors(t *testing.T) {
	boom := errors.New("boom")
	c := &Candidate{
		Meta: func() (*msgmeta.Meta, error) { return nil, boom },
		Body: func() (store.Blob, error) { return nil, boom },
	}
	for _, k := range []SearchKey{{Kind: From, Text: "a"}, {Kind: Not, Children: []SearchKey{{Kind: Body, Text: "a"}}}} {
		if ok, err := Match(&k, c); ok || !errors.Is(err, boom) {
			t.Errorf("%+v: %v, %v; want false, boom", k, ok, err)
		}
	}
	c.Meta = func() (*msgmeta.Meta, error) { return &msgmeta.Meta{}, nil }
	if ok, err := Match(&SearchKey{Kind: Body, Text: "a"}, c); ok || !errors.Is(err, boom) {
		t.Errorf("BODY with a failing blob: %v, %v", ok, err)
	}
}

// TestTextScanner: matches across chunk boundaries and runes cut by reads
// are found, whatever the read sizes.
func TestTextScanner(t *testing.T) {
	readers := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	text := strings.Repeat("é", 255) + "xNEEDLE in GROSSE Straße" + strings.Repeat("ǅ", 1000) + "end"
	cases := []struct {
		needle string
		want   bool
	}{
		{"needle in grosse strasse", true},
		{"éxneedle", true},
		{"ǆǆǆend", true},
		{"ǆend!", false},
		{"éé", true},
		{"needle in grosse strasseǆ", true},
		{"ée", false},
	}
	for name, wrap := range readers {
		for _, c := range cases {
			s := textScanner{f: newFinder(c.needle)}
			for range 2 { // the second run reuses the buffers
				got, err := s.in(wrap(strings.NewReader(text)), 0)
				if err != nil || got != c.want {
					t.Errorf("%s %q: %v, %v; want %v", name, c.needle, got, err, c.want)
				}
			}
		}
	}
}

// TestTextPartHeaders: TEXT decodes the encoded words of MIME headers
// below the top level, and finds strings across a field's name and value
// and across folded lines there.
func TestTextPartHeaders(t *testing.T) {
	raw := []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/plain\r\nContent-Description: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nX-Folded: one\r\n two\r\n\r\nbody\r\n--b--\r\n")
	m := msgmeta.ParseBytes(raw)
	c := &Candidate{
		Meta: func() (*msgmeta.Meta, error) { return m, nil },
		Body: func() (store.Blob, error) { return newBlob(raw, nil), nil },
	}
	for needle, want := range map[string]bool{
		"GRÜSSE": true, "description: grüße": true, "one two": true, "x-folded: one": true,
		"utf-8?q": false, "body": true, "nothing": false,
	} {
		if got, err := Match(&SearchKey{Kind: Text, Text: needle}, c); err != nil || got != want {
			t.Errorf("TEXT %q: %v, %v; want %v", needle, got, err, want)
		}
	}
}
