package obs

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"
)

// IDLen is the length of the IDs NewID returns.
const IDLen = 12

// NewID returns a random ID for a connection, message or queue entry: 12
// lowercase base32 characters (a-z, 2-7), 60 bits from crypto/rand, so IDs
// do not collide in practice and are safe in file names and log lines.
func NewID() string {
	return strings.ToLower(rand.Text()[:IDLen])
}

// ProcessName names this process among the nodes that share a store
// (a queue runner's claims, a TLS reporter's counts): the host, the
// process ID and a random part, so that two services of one process, or
// a restarted process, never take each other's name.
func ProcessName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
}
