package main

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// deliverOne sends one message to every recipient in one SMTP (or, with
// lmtp, LMTP) transaction at addr, and returns when the server has
// accepted it: after the 250 to DATA (RFC 5321 §4.1.1.4), or for LMTP
// after the last recipient's reply (RFC 2033 §4.2).
func deliverOne(addr string, lmtp bool, rcpts []string) error {
	if err := loopbackOnly(addr); err != nil {
		return err
	}
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	br := bufio.NewReader(c)
	step := func(cmd string, want byte) error {
		if cmd != "" {
			if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
				return err
			}
		}
		r, err := smtpReply(br)
		if err != nil {
			return fmt.Errorf("%q: %w", cmd, err)
		}
		if r[0] != want {
			return fmt.Errorf("%q: %s", cmd, r)
		}
		return nil
	}
	hello := "EHLO bench.test"
	if lmtp {
		hello = "LHLO bench.test"
	}
	if err := step("", '2'); err != nil {
		return err
	}
	if err := step(hello, '2'); err != nil {
		return err
	}
	if err := step("MAIL FROM:<bench-sender@source.test>", '2'); err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := step("RCPT TO:<"+r+">", '2'); err != nil {
			return err
		}
	}
	if err := step("DATA", '3'); err != nil {
		return err
	}
	msg := "From: Bench <bench-sender@source.test>\r\nTo: bench@bench.test\r\nSubject: wake up\r\n" +
		"Message-ID: <wake." + strconv.FormatInt(time.Now().UnixNano(), 36) + "@source.test>\r\n\r\nNew mail.\r\n."
	if err := step(msg, '2'); err != nil {
		return err
	}
	if lmtp {
		for range rcpts[1:] {
			if err := step("", '2'); err != nil {
				return err
			}
		}
	}
	return step("QUIT", '2')
}

// smtpReply reads one (possibly multiline) reply and returns its last line.
func smtpReply(br *bufio.Reader) (string, error) {
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		l = strings.TrimRight(l, "\r\n")
		if len(l) < 4 {
			return "", fmt.Errorf("short reply %q", l)
		}
		if l[3] != '-' {
			return l, nil
		}
	}
}
