package obs

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns a logger writing to w at level ("debug", "info", "warn"
// or "error") in format ("text" or "json"). Attributes whose keys name a
// secret are redacted.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: redactAttr}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("obs: unknown log format %q (want text or json)", format)
}

// ParseLevel parses "debug", "info", "warn" or "error".
func ParseLevel(level string) (slog.Level, error) {
	switch level {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("obs: unknown log level %q (want debug, info, warn or error)", level)
}

// Redact hides a secret for logging: "" for an empty one (so that its
// absence stays visible), else a fixed marker that reveals nothing of it,
// not even its length.
func Redact(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// redactAttr redacts string attributes whose key names a secret.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindGroup && IsSecretKey(a.Key) {
		return slog.String(a.Key, Redact(a.Value.String()))
	}
	return a
}

// IsSecretKey reports whether a log attribute key names a secret.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"password", "passwd", "secret", "token", "credential"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return k == "pass"
}
