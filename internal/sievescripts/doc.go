// Package sievescripts keeps the Sieve scripts of accounts (RFC 5228) in
// the store's key/value storage, where every node finds them: several
// named scripts per account, at most one of them active (the model of
// ManageSieve, RFC 5804 §1.2), each compiled before it is stored, so
// that a script with an error is refused with its line and column, and
// the active one compiled once per source (sieve.Cache) for delivery.
//
// Keys: sieve/<address>/script/<name> (the source) and
// sieve/<address>/active (the active script's name), the address
// escaped as a URL path segment (README "Filters and vacation").
//
// The operator's scripts are files (config [sieve]): CompileFile for
// the before and after scripts, Dir for those include :global loads
// (RFC 6609 §3.2).
package sievescripts
