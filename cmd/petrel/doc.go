// Command petrel is the Petrel mail server and its administration tool:
//
//	petrel serve   [--config FILE]            run the server
//	petrel domain  add|list|del DOMAIN
//	petrel user    add|list|del|passwd ADDRESS [--password-stdin]
//	petrel alias   add|list|del ADDRESS TARGET[,TARGET...]
//	petrel queue   list|show|retry|delete ID
//	petrel dkim    generate DOMAIN
//	petrel dns     [check] DOMAIN
//	petrel version
//
// Every command takes --config FILE; flags may come before or after the
// arguments. Without --config and without ./petrel.toml, the built-in
// defaults apply (the local demo: data in ./petrel-data). The administration
// commands open the same data directory as the server and work while it runs.
//
// Exit status: 0 on success, 1 when the operation failed, 2 for a usage or
// configuration error. Errors are one line each on standard error.
//
// This package is the wiring: the only place that chooses a storage backend.
package main
