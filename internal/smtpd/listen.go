package smtpd

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
)

// Listen opens a listener for addr: a unix socket when addr contains "/"
// (LMTP behind an MTA, RFC 2033), else TCP host:port. A stale socket file
// (one nobody listens on) is removed first; a live one is an error.
func Listen(addr string) (net.Listener, error) {
	if !strings.Contains(addr, "/") {
		return net.Listen("tcp", addr)
	}
	if err := removeStaleSocket(addr); err != nil {
		return nil, err
	}
	return net.Listen("unix", addr)
}

func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return fmt.Errorf("%s: another server is listening", path)
	}
	return os.Remove(path)
}
