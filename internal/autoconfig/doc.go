// Package autoconfig tells mail clients how to reach this server, from the
// live listener configuration (FromConfig): the host name, and for IMAP,
// POP3 and submission the port and TLS mode of each listener that is on,
// implicit TLS first (RFC 8314 §5.1), IMAP before POP3 (RFC 6186 §3.4).
// A protocol whose listen key is empty is never advertised. It serves
// (Handler, README "Client autoconfiguration"):
//
//   - Thunderbird autoconfig, clientConfig version 1.1
//     (/mail/config-v1.1.xml on autoconfig.DOMAIN,
//     /.well-known/autoconfig/mail/config-v1.1.xml on DOMAIN);
//   - Outlook autodiscover, the "POX" XML form of MS-OXDSCLI (POST
//     /autodiscover/autodiscover.xml, response schema outlook 2006a), and
//     the JSON "v2" form that points Outlook at it
//     (/autodiscover/autodiscover.json);
//   - an Apple configuration profile (.mobileconfig, an unsigned property
//     list with one com.apple.mail.managed payload) for an address.
//
// Only the server's own domains are answered (LocalDomains). Inputs are
// bounded: the autodiscover body to MaxBodySize, addresses to RFC 5321
// §4.5.3.1 lengths and syntax (package mailaddr); every document is
// produced by an encoder (encoding/xml, encoding/json), so nothing a
// client sends reaches the output unescaped. The documents never name a
// password or say whether an account exists.
package autoconfig
