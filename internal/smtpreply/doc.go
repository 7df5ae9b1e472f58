// Package smtpreply defines SMTP replies as typed values: a reply code
// (RFC 5321 §4.2) and an enhanced status code (RFC 3463, RFC 2034), with the
// replies Petrel sends collected in one place. A *Reply is an error so that
// the layers below the protocol can return one; text from Go errors never
// goes into a reply.
package smtpreply
