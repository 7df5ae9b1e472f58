package smtpreply

// TooManyHops: 554 5.4.6, the message has been through so many hosts
// (Received fields) that it is taken for a mail loop (RFC 5321 §6.3,
// RFC 3463 X.4.6).
func TooManyHops(addr string) *Reply {
	return New(554, Enhanced{5, 4, 6}, "<%s>: Too many hops: mail forwarding loop", addr)
}
