// Package webapi is the admin JSON API of Petrel under /api/v1/ (README
// "Admin API"): domains, accounts, passwords, extra addresses, app
// passwords, aliases and catch-alls, quotas, the outbound queue, DKIM keys
// and the DNS records of a domain with their check. It is a thin HTTP
// layer on internal/ops, the operations the CLI runs too: a handler
// decodes, calls one operation and encodes, with no rule of its own.
//
// The API is described by the OpenAPI 3.1 document openapi.json,
// embedded and served at /api/v1/openapi.json; a test checks that every
// route served is in it and every path in it is served.
//
// Authentication (RFC 9110 §11): an API token (RFC 6750 §2.1, "Authorization:
// Bearer ptk.NAME.SECRET", made with `petrel token create`), or HTTP Basic
// (RFC 7617) with the password of an account the operator made an admin
// (`petrel user admin ADDRESS on`). Credentials are taken over TLS only.
// Failed logins are throttled by the failed-login guard of IMAP, POP3 and
// submission (package authguard); a blocked client gets 429 (RFC 6585 §4)
// with Retry-After (RFC 9110 §10.2.3). A read-only token gets 403 on
// every call that changes something. Every change is logged with who
// made it (the token's name or the admin's address), never a password or
// a token. Deps.Networks, when set, limits the client networks the API
// answers at all.
//
// Failures are JSON: {"error": {"kind", "message", "field"}}, field
// naming the input at fault for a validation error; the status follows
// the kind (ops.Kind.HTTPStatus, RFC 9110 §15). Internal failures are
// logged and answered without their Go error text.
package webapi
