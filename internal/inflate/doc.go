// Package inflate decodes a raw DEFLATE stream (RFC 1951) as it arrives
// on a connection, for IMAP COMPRESS=DEFLATE (RFC 4978).
//
// Unlike compress/flate's reader (about 43 KiB per stream, whatever the
// stream holds), a Reader keeps between reads only what the stream may
// still refer to: the decoded octets of the last 32 KiB window (RFC 1951
// §2.3.2), as many as have been decoded when fewer, in a window that grows
// to that size, and its Huffman tables (a few hundred octets). Its input
// buffer is taken from a pool while it reads and given back by Release,
// so a connection that waits (IMAP IDLE) holds no input buffer.
//
// Decoding never runs ahead of the reader: a Read decodes at most what it
// returns plus one match, so a stream that expands a thousandfold (a
// "zip bomb") costs its consumer's limits, not memory here. Each step (a
// block header, a symbol with its extra bits) is taken whole or not at
// all: a read that fails (a deadline) leaves the Reader where it was, and
// the next Read goes on.
package inflate
