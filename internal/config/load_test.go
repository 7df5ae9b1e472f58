package config

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

// parseProblems parses in and returns its problems as *Errors.
func parseProblems(t *testing.T, in string) []*Error {
	t.Helper()
	c, errs := Parse(in)
	if c != nil {
		t.Errorf("Parse returned a config along with errors %v", errs)
	}
	var out []*Error
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not a *config.Error", err, err)
		}
		out = append(out, e)
	}
	return out
}

func TestParseWrongTypes(t *testing.T) {
	tests := []struct {
		in   string
		want Error
	}{
		{"hostname = 5", Error{"hostname", 1, "want a string; found an integer"}},
		{"\n[listen]\nsmtp = \"127.0.0.1:25\"", Error{"listen.smtp", 3, "want an array of strings; found a string"}},
		{"[listen]\nimap = [1, 2]", Error{"listen.imap", 2, "want an array of strings; found an integer in the array"}},
		{"listen = 3", Error{"listen", 1, "want a table; found a value of type integer"}},
		{"[[listen]]\nsmtp = []", Error{"listen", 1, "want a table; found an array of tables"}},
		{"[tls]\nallow_insecure_auth = \"yes\"", Error{"tls.allow_insecure_auth", 2, "want a boolean (true or false); found a string"}},
		{"[smtp]\nmax_recipients = \"100\"", Error{"smtp.max_recipients", 2, "want an integer; found a string"}},
		{"[smtp]\nmax_recipients = 1.5", Error{"smtp.max_recipients", 2, "want an integer; found a float"}},
		{"[delivery]\nmax_message_size = \"50XB\"", Error{"delivery.max_message_size", 2, `invalid size "50XB": unknown unit "XB" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`}},
		{"[delivery]\nretry = [\"5m\", \"soon\"]", Error{"delivery.retry", 2, `invalid duration "soon": want e.g. "90s", "30m", "4h" or "5d"`}},
		{"[delivery]\nretry = \"5m\"", Error{"delivery.retry", 2, `want an array of durations such as ["5m", "1h"]; found a string`}},
		{"[delivery]\nmax_queue_time = 300", Error{"delivery.max_queue_time", 2, `invalid duration "300": want e.g. "90s", "30m", "4h" or "5d"`}},
		{"[delivery]\nroutes = 5", Error{"delivery.routes", 2, "want a table; found a value of type integer"}},
		{"[delivery.routes]\n\"a.org\" = 25", Error{`delivery.routes."a.org"`, 2, "want a string; found an integer"}},
		{"[log]\nlevel = [\"info\"]", Error{"log.level", 2, "want a string; found an array"}},
	}
	for _, tt := range tests {
		got := parseProblems(t, tt.in)
		if len(got) != 1 || *got[0] != tt.want {
			t.Errorf("Parse(%q) = %v, want [%v]", tt.in, got, &tt.want)
		}
	}
}

func TestParseSyntaxError(t *testing.T) {
	got := parseProblems(t, "hostname = \"a.org\"\ndata_dir = \n")
	if len(got) != 1 || got[0].Key != "data_dir" || got[0].Line != 2 {
		t.Fatalf("got %v, want one error for data_dir on line 2", got)
	}
}

func TestParseUnknownKeys(t *testing.T) {
	in := "foo = 1\n[bar]\nx = 1\n[listen]\nsmtpp = []\n[delivery.routes]\n[delivery.nested]\n"
	got := parseProblems(t, in)
	want := []Error{
		{"foo", 1, "unknown key"},
		{"bar", 2, "unknown key"},
		{"listen.smtpp", 5, "unknown key"},
		{"delivery.nested", 7, "unknown key"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if *got[i] != want[i] {
			t.Errorf("problem %d = %v, want %v", i, got[i], &want[i])
		}
	}
}

func TestParseKeysAreCaseSensitive(t *testing.T) {
	got := parseProblems(t, `Hostname = "a.example"`)
	if len(got) != 1 || got[0].Key != "Hostname" || got[0].Msg != "unknown key" {
		t.Fatalf("got %v, want Hostname: unknown key", got)
	}
}

// Every problem in a file is reported at once, type errors do not also
// show up as invalid values, and validation covers the decoded values.
func TestParseReportsAllProblems(t *testing.T) {
	in := "hostname = 5\ntypo = true\n[smtp]\nmax_recipients = \"x\"\nmax_connections_per_ip = 0\n" +
		"[listen]\nsmtp = [\"127.0.0.1:99999\"]\n"
	var got []string
	for _, e := range parseProblems(t, in) {
		got = append(got, e.Error())
	}
	want := []string{
		"hostname (line 1): want a string; found an integer",
		"typo (line 2): unknown key",
		"smtp.max_recipients (line 4): want an integer; found a string",
		`listen.smtp[0] (line 7): "127.0.0.1:99999": invalid host:port (port out of range)`,
		"smtp.max_connections_per_ip (line 5): 0: must be greater than zero",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestParseReplacesDefaults(t *testing.T) {
	in := "[listen]\nsmtp = []\nimap = [\"[::1]:143\", \":1143\"]\n[delivery]\nretry = [\"1m\"]\n" +
		"max_message_size = 1024\n[delivery.routes]\n\"b.example\" = \"mx.b.example:2525\"\n"
	c, errs := Parse(in)
	if errs != nil {
		t.Fatal(errs)
	}
	if c.Listen.SMTP == nil || len(c.Listen.SMTP) != 0 {
		t.Errorf("smtp = %#v, want empty", c.Listen.SMTP)
	}
	if !reflect.DeepEqual(c.Listen.IMAP, []string{"[::1]:143", ":1143"}) {
		t.Errorf("imap = %q", c.Listen.IMAP)
	}
	if !reflect.DeepEqual(c.Delivery.Retry, []Duration{Duration(60e9)}) || c.Delivery.MaxMessageSize != 1024 {
		t.Errorf("delivery = %+v", c.Delivery)
	}
	if !reflect.DeepEqual(c.Delivery.Routes, map[string]string{"b.example": "mx.b.example:2525"}) {
		t.Errorf("routes = %v", c.Delivery.Routes)
	}
	if !reflect.DeepEqual(c.Listen.POP3, Default().Listen.POP3) {
		t.Errorf("pop3 = %q, want the default", c.Listen.POP3)
	}
}
