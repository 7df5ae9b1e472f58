// Package admin is Petrel's HTTP endpoint for operators: /healthz (200 "ok"
// while the store answers, 503 otherwise) and Prometheus /metrics. Later it
// also serves the admin API and web UI. The control socket (control.go) is
// the CLI's way to reach the running server: a unix socket in the data
// directory, mode 0600, serving POST /v1/unlock (forget failed logins).
//
// The caller binds the listeners and hands them to Server.Serve, so that bind
// errors are reported by the wiring like every other listener's.
package admin
