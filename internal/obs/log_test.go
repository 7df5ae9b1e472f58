package obs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNewLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "warn", "text")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("quiet")
	log.Warn("loud", "conn", "abc")
	out := buf.String()
	if strings.Contains(out, "quiet") || !strings.Contains(out, "level=WARN msg=loud conn=abc") {
		t.Errorf("output %q: want the warning only", out)
	}
}

func TestNewLoggerJSON(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "debug", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hello", "msgid", "x1")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not JSON: %q: %v", buf.String(), err)
	}
	if rec["msg"] != "hello" || rec["level"] != "DEBUG" || rec["msgid"] != "x1" {
		t.Errorf("record = %v", rec)
	}
}

func TestNewLoggerRejects(t *testing.T) {
	if _, err := NewLogger(&bytes.Buffer{}, "verbose", "text"); err == nil {
		t.Error("level verbose accepted")
	}
	if _, err := NewLogger(&bytes.Buffer{}, "info", "xml"); err == nil {
		t.Error("format xml accepted")
	}
}

func TestLoggerRedactsSecretKeys(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "info", "text")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("auth", "user", "alice@example.org", "password", "hunter2",
		"AuthToken", "tok-123", "pass", "s3cret", "empty_password", "")
	out := buf.String()
	for _, secret := range []string{"hunter2", "tok-123", "s3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q in log output %q", secret, out)
		}
	}
	for _, want := range []string{"user=alice@example.org", "password=[redacted]", "AuthToken=[redacted]", `empty_password=""`} {
		if !strings.Contains(out, want) {
			t.Errorf("log output %q lacks %q", out, want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := Redact(""); got != "" {
		t.Errorf("Redact(\"\") = %q", got)
	}
	a, b := Redact("short"), Redact("a much longer secret")
	if a != b || strings.Contains(a, "short") {
		t.Errorf("Redact reveals its input: %q, %q", a, b)
	}
}

func TestIsSecretKey(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "Password": true, "new_passwd": true, "client_secret": true,
		"token": true, "credentials": true, "pass": true,
		"user": false, "passage": false, "conn": false, "msgid": false,
	} {
		if got := IsSecretKey(key); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}
