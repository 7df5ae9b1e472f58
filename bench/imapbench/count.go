package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// cmdCount prints the number of messages in a user's INBOX (STATUS
// INBOX (MESSAGES), RFC 9051 §6.3.11).
func cmdCount(args []string) error {
	fs := flag.NewFlagSet("count", flag.ExitOnError)
	addr := fs.String("addr", "", "server host:port (loopback)")
	user := fs.String("user", "", "user name")
	pass := fs.String("pass", "pass", "password")
	fs.Parse(args)
	c, err := dial(*addr, "")
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.login(*user, *pass); err != nil {
		return err
	}
	n := -1
	err = c.run("STATUS INBOX (MESSAGES)", func(r []byte) {
		if _, rest, ok := strings.Cut(string(r), "(MESSAGES "); ok {
			v, _, _ := strings.Cut(rest, ")")
			n, _ = strconv.Atoi(v)
		}
	})
	if err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("no MESSAGES in the STATUS response")
	}
	logout(c)
	fmt.Println(n)
	return nil
}
