package config

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestAdminPrefixes(t *testing.T) {
	h := HTTP{AdminNetworks: []string{"192.0.2.7/24", "::1", "::ffff:10.1.2.3"}}
	want := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.1.2.3/32"),
	}
	if got := h.AdminPrefixes(); !reflect.DeepEqual(got, want) {
		t.Errorf("AdminPrefixes = %v, want %v", got, want)
	}
}
