// Package sieverules turns the simple rules of the account page's rule
// editor (README "Filters and vacation") into a Sieve script and back.
//
// A rule is a field (From, To or Cc, Subject, or a header named by the
// user), a match (contains, is, does not contain) and a value, and an
// action: file into a folder (created when missing), flag, redirect
// (with or without keeping a copy), or discard, optionally followed by
// stop. A vacation block becomes one vacation command ahead of the
// rules.
//
// Standards used in the scripts it writes:
//
//   - RFC 5228 Sieve: if, header, address :all, not, stop, discard,
//     redirect, the comparator i;ascii-casemap and quoted strings, whose
//     backslash and double quote are escaped (§2.4.2). Only :is and
//     :contains are used, whose keys hold no wildcards (§2.7.1), and
//     neither variables nor encoded-character is required, so "*", "?",
//     "${...}" in a value are literal text.
//   - RFC 5228 §4.1 and RFC 5490 §3.2 fileinto :create.
//   - RFC 5232 imap4flags addflag.
//   - RFC 3894 copy (redirect :copy).
//   - RFC 5230 vacation (:days, :subject, :addresses).
//
// The script carries its rules as one JSON comment line after Marker, so
// that the editor reads them back; a script without the line, or whose
// text is no longer what its rules generate (edited by hand), is
// reported as hand-written (Parse's ok is false) and is for the raw
// editor only.
package sieverules
