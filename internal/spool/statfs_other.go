//go:build !unix

package spool

import "errors"

// freeSpace is unknown without statfs(2): Space then never refuses.
func freeSpace(string) (int64, error) {
	return 0, errors.New("spool: free space unknown on this platform")
}
