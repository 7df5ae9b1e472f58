package testkit

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

// JSONLogger logs every level to w as JSON, as `[log] format = "json"`
// does.
func JSONLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// LogLine is one line of a JSON log.
type LogLine map[string]any

// Str is the string field key, or "".
func (l LogLine) Str(key string) string {
	s, _ := l[key].(string)
	return s
}

// logFieldKinds are the JSON types of the shared log fields (docs/flow.md
// "Tracing a message"): one name, one type, wherever they appear.
var logFieldKinds = map[string]string{
	"msg_id": "string", "queue_id": "string", "conn": "string", "listener": "string",
	"account": "string", "remote": "string", "user": "string", "rcpt": "string",
	"from": "string", "to": "string", "host": "string", "ip": "string", "reason": "string",
	"report_queue_id": "string", "policy_msg_id": "string", "outcome": "string", "cmd": "string",
	"rcpts": "number", "size": "number", "code": "number", "attempt": "number",
	"count": "number", "octets": "number",
	"tls": "bool", "data": "bool", "in_flight": "bool", "report_local": "bool",
	"rcpt_list": "array",
}

// renamedFields are names used once for a shared field, with the name
// used everywhere else.
var renamedFields = map[string]string{
	"error": "err", "msgid": "msg_id", "queueid": "queue_id", "client": "remote",
	"remote_ip": "remote", "listener_name": "listener",
}

// goDuration matches a Go duration string ("1.5s", "2m0s"): durations
// are numbers of milliseconds in fields named *_ms.
var goDuration = regexp.MustCompile(`^-?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`)

// JSONLines parses a JSON log, one object a line, and fails t for a line
// that breaks the conventions of the log fields: a key twice in a line, a
// shared field of another type than everywhere else or under another
// name (renamedFields; a TLS version is tls_version), a duration that is
// not a number of milliseconds named *_ms, a remote that is neither an IP
// address nor "local", a conn without its listener.
func JSONLines(t testing.TB, log string) []LogLine {
	t.Helper()
	var lines []LogLine
	for _, raw := range strings.Split(strings.TrimSpace(log), "\n") {
		if raw == "" {
			continue
		}
		var l LogLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("not a JSON log line: %v\n%s", err, raw)
		}
		if k := duplicateKey(raw); k != "" {
			t.Errorf("field %q twice in a line: %s", k, raw)
		}
		for k, v := range l {
			checkLogField(t, k, v, raw)
		}
		if _, ok := l["conn"]; ok && l.Str("listener") == "" {
			t.Errorf("a line with conn and no listener: %s", raw)
		}
		lines = append(lines, l)
	}
	return lines
}

func checkLogField(t testing.TB, k string, v any, raw string) {
	t.Helper()
	kind := jsonKind(v)
	want := logFieldKinds[k]
	if strings.HasSuffix(k, "_ms") {
		want = "number"
	}
	if want != "" && kind != want {
		t.Errorf("field %q is a %s, want a %s: %s", k, kind, want, raw)
	}
	if s, ok := v.(string); ok && goDuration.MatchString(s) {
		t.Errorf("field %q is a Go duration %q, want a number named *_ms: %s", k, s, raw)
	}
	if to := renamedFields[k]; to != "" {
		t.Errorf("field %q, want %q as everywhere else: %s", k, to, raw)
	}
	if s, ok := v.(string); ok && k == "version" && strings.HasPrefix(s, "TLS") {
		t.Errorf("field %q holds a TLS version, want tls_version: %s", k, raw)
	}
	if s, ok := v.(string); ok && k == "remote" && s != "local" {
		if _, err := netip.ParseAddr(s); err != nil {
			t.Errorf("field remote %q is neither an IP address nor \"local\": %s", s, raw)
		}
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

// duplicateKey returns a top-level key that appears twice in the JSON
// object raw, or "".
func duplicateKey(raw string) string {
	dec := json.NewDecoder(strings.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := tok.(string)
		if seen[k] {
			return k
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}
