package mtasts

import "testing"

func TestParseRecord(t *testing.T) {
	for txt, want := range map[string]string{ // want: the id, "" = an error
		"v=STSv1; id=20260101T000000":              "20260101T000000",
		"v=STSv1;id=abc":                           "abc",
		"v=STSv1 ;\tid=abc ;":                      "abc",
		"v=STSv1; id=abc; ext=1.2":                 "abc",
		"v=STSv1; x-ext=a; id=abc":                 "abc",
		"v=STSv1; id=" + string(make32('a')):       string(make32('a')),
		"v=STSv1; id=" + string(make32('a')) + "a": "",
		"v=STSv1":                "",
		"v=STSv1;":               "",
		"v=STSv1; id=":           "",
		"v=STSv1; id=a-b":        "",
		"v=STSv1; id=a; id=b":    "",
		"v=STSv1; id=a; v=STSv1": "",
		"v=STSv1; id=a; ext=":    "",
		"v=STSv1; id=a; ext=x=y": "",
		"v=STSv1; id=a; =x":      "",
		"v=STSv1; id=a;; ext=x":  "",
		"v=STSv2; id=a":          "",
		" v=STSv1; id=a":         "",
		"id=a; v=STSv1":          "",
		"v=spf1 -all":            "",
		"":                       "",
	} {
		rec, err := ParseRecord(txt)
		switch {
		case want == "" && err == nil:
			t.Errorf("ParseRecord(%q) = %+v, want an error", txt, rec)
		case want != "" && (err != nil || rec.ID != want):
			t.Errorf("ParseRecord(%q) = %+v, %v; want id %q", txt, rec, err, want)
		}
	}
}

func make32(c byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestFindRecord(t *testing.T) {
	if rec, err := FindRecord([]string{"v=spf1 -all", "v=STSv1; id=one", "v=STSv10; id=two"}); err != nil || rec.ID != "one" {
		t.Errorf("among other records: %+v, %v", rec, err)
	}
	for _, txts := range [][]string{
		nil,
		{"v=spf1 -all"},
		{"v=STSv1; id=one", "v=STSv1; id=two"}, // §3.1: not exactly one
		{"v=STSv1; id=bad-id"},
	} {
		if rec, err := FindRecord(txts); err == nil {
			t.Errorf("FindRecord(%q) = %+v, want an error", txts, rec)
		}
	}
}
