// Package obs is Petrel's observability: structured logging with log/slog,
// short random IDs for connections, messages and queue entries, redaction
// of secrets, and Prometheus metrics on a registry of Petrel's own.
//
// Logs carry IDs, never secrets or message bodies (docs/architecture.md
// §Logs): pass
// secrets through Redact, and the loggers from NewLogger also redact any
// attribute whose key names a secret ("password", "token", ...).
package obs
