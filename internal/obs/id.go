package obs

import (
	"crypto/rand"
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
