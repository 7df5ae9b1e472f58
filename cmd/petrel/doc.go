// Command petrel is the Petrel mail server and its administration tool:
//
//	petrel serve   [--config FILE]            run the server
//	petrel domain  add|list|del DOMAIN
//	petrel user    add|list|del|passwd ADDRESS [--password-stdin]
//	petrel user    quota ADDRESS [MAX_SIZE MAX_MESSAGES | --bytes N | --messages N]
//	petrel user    address add|del ADDRESS EXTRA
//	petrel user    unlock ADDRESS [CLIENT_IP]
//	petrel alias   add|list|del ADDRESS TARGET[,TARGET...]
//	petrel queue   list|show|retry|delete ID
//	petrel dkim    generate DOMAIN | remove|export DOMAIN SELECTOR
//	petrel dns     [check] DOMAIN
//	petrel version
//	petrel help | COMMAND --help
//
// Every command takes --config FILE; flags may come before or after the
// arguments. Without --config and without ./petrel.toml, the built-in
// defaults apply (the local demo: data in ./petrel-data). The administration
// commands open the same data directory as the server and work while it runs.
//
// petrel dns prints zone-file records (RFC 1035 §5.1, TXT strings of at
// most 255 octets, §3.3.14) for MX (RFC 5321 §5.1), SPF (RFC 7208), DKIM
// (RFC 6376 §3.6.1, RFC 8463), DMARC (RFC 7489), client SRV records (RFC
// 6186, RFC 8314 §5.1, RFC 2782) and PTR; petrel dns check compares them
// with DNS (exit status 1 when any is missing or wrong).
//
// Exit status: 0 on success, 1 when the operation failed, 2 for a usage or
// configuration error. Errors are one line each on standard error.
//
// This package is the wiring: the only place that chooses a storage
// backend. The administration commands parse their arguments, call the
// services of internal/ops (docs/architecture.md §Operations) and print
// their results; the logic lives there and in internal/dnsplan.
package main
