package dnsr

import "testing"

// Only a resolver on a loopback address is trusted with the AD bit.
func TestLoopback(t *testing.T) {
	for server, want := range map[string]bool{
		"127.0.0.1:53": true, "127.0.0.53:53": true, "[::1]:53": true, "[::ffff:127.0.0.1]:53": true,
		"192.0.2.1:53": false, "[2001:db8::1]:53": false, "8.8.8.8:53": false, "localhost:53": false, "": false,
	} {
		if got := loopback(server); got != want {
			t.Errorf("loopback(%q) = %v", server, got)
		}
	}
}
