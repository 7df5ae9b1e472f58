// Package managesieve is Petrel's ManageSieve server: the accounts manage
// their Sieve scripts (RFC 5228) from a client (Thunderbird's Sieve
// add-on, Roundcube, sieve-connect ...), kept by sievescripts in the
// store where delivery finds them (README "ManageSieve").
//
// It implements RFC 5804 (ManageSieve): CAPABILITY (and the capabilities
// in the greeting, §1.7), STARTTLS (§2.2), AUTHENTICATE with SASL
// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 7677, RFC 9266), PLAIN (RFC
// 4616) and LOGIN, initial response or not (§2.1), LOGOUT, NOOP,
// UNAUTHENTICATE (§2.14), HAVESPACE, PUTSCRIPT, CHECKSCRIPT,
// LISTSCRIPTS, SETACTIVE (SETACTIVE "" deactivates), GETSCRIPT,
// DELETESCRIPT and RENAMESCRIPT; the response codes QUOTA/MAXSCRIPTS,
// QUOTA/MAXSIZE, NONEXISTENT, ACTIVE, ALREADYEXISTS, ENCRYPT-NEEDED,
// TRYLATER and TAG. WARNINGS is never sent: the compiler has no warnings,
// only errors.
//
// Decisions:
//
//   - Strings are quoted or literals (§4). Clients send non-synchronizing
//     literals {N+}; a client's {N} is read the same way (ManageSieve has
//     no continuation request to send for it). The server sends literals
//     as {N}.
//   - A script that does not compile is refused by PUTSCRIPT and
//     CHECKSCRIPT with NO and the compiler's "line L, column C: message",
//     which clients show their users; nothing is stored.
//   - Quotas: sievescripts.MaxScripts scripts per account and
//     Config.MaxScriptSize octets per script, answered by HAVESPACE and
//     enforced by PUTSCRIPT with QUOTA/MAXSCRIPTS and QUOTA/MAXSIZE.
//   - Credentials only over TLS, unless Config.AllowInsecureAuth; the
//     SASL capability is empty while they cannot be sent. The accounts
//     and the failed-login guard are IMAP's and POP3's (app passwords
//     included): a throttled login gets NO (TRYLATER) without its password
//     being checked. A connection is closed after MaxAuthFailures failed
//     logins.
//   - Bounds: a command line is at most MaxLineLength octets, a literal
//     MaxLineLength before login and MaxScriptSize+LiteralSlack after;
//     over them the session ends with BYE (the client is sending the
//     literal already). Before login, MaxCommandsBeforeAuth commands and
//     MaxBadCommands bad ones. IdleTimeout for the first octet of a
//     command, CommandTimeout for the rest of it, literals included; the
//     TLS handshake within HandshakeTimeout.
//   - Commands pipelined after STARTTLS are discarded (the
//     plaintext-injection attack).
//   - Replies are typed values (Reply) with fixed texts: no Go error text
//     reaches the wire, storage failures answer NO (TRYLATER) with a log
//     reference, and neither passwords nor scripts are logged.
package managesieve
