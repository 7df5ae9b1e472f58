package config

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// hostPortProblem says what is wrong with the address s, or "" if it is a
// valid host:port. The host may be empty (all addresses) unless required.
func hostPortProblem(s string, hostRequired bool) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return ae.Err
		}
		return err.Error()
	}
	switch {
	case port == "":
		return "missing port"
	case strings.Trim(port, "0123456789") != "":
		return "port is not a number"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "port out of range"
	}
	switch {
	case host == "" && hostRequired:
		return "missing host"
	case host != "" && !validHost(host):
		return "invalid host"
	}
	return ""
}

// validHost reports whether h is an IP address or a domain name.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return validDomain(h)
}

// validDomain reports whether s is a plausible domain name in ASCII:
// labels of letters, digits and inner hyphens (RFC 1123 §2.1), at most 63
// bytes each and 253 in all, and a top label that is not all digits.
func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if !validLabel(l) {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range []byte(l) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// isIPHost reports whether the host of the valid address s is an IP address.
func isIPHost(s string) bool {
	host, _, _ := net.SplitHostPort(s)
	_, err := netip.ParseAddr(host)
	return err == nil
}
