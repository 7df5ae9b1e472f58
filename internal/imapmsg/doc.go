// Package imapmsg is everything IMAP says about message content: ENVELOPE
// and BODYSTRUCTURE encoding, FETCH sections, and SEARCH matching. It works
// from the metadata msgmeta computed at delivery and streams bodies from
// the stored blob.
package imapmsg
