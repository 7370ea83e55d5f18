package relay_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/deskmail/deskmail/relay"
)

func TestCIDRSet(t *testing.T) {
	s, err := relay.ParseCIDRSet("192.0.2.0/24", "192.0.2.128/25", "198.51.100.7", "ip6:2001:db8::/32", "ip4:203.0.113.0/28", "::ffff:10.0.0.0/104")
	if err != nil {
		t.Fatal(err)
	}
	wantTerms := []string{"ip4:10.0.0.0/8", "ip4:192.0.2.0/24", "ip4:198.51.100.7", "ip4:203.0.113.0/28", "ip6:2001:db8::/32"}
	if got := s.SPFTerms(); !slices.Equal(got, wantTerms) {
		t.Fatalf("R11/SPF terms %v, want %v", got, wantTerms)
	}
	for _, tc := range []struct {
		addr string
		in   bool
		pfx  string
	}{
		{"192.0.2.200", true, "192.0.2.0/24"},
		{"192.0.3.1", false, ""},
		{"198.51.100.7", true, "198.51.100.7/32"},
		{"198.51.100.8", false, ""},
		{"::ffff:192.0.2.1", true, "192.0.2.0/24"},
		{"2001:db8:1::25", true, "2001:db8::/32"},
		{"2001:db9::1", false, ""},
		{"10.200.0.1", true, "10.0.0.0/8"},
		{"0.0.0.0", false, ""},
	} {
		t.Run("R11/"+tc.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tc.addr)
			p, ok := s.Lookup(a)
			if ok != tc.in || s.Contains(a) != tc.in || (ok && p.String() != tc.pfx) {
				t.Fatalf("Lookup = %v, %v; want %v %s", p, ok, tc.in, tc.pfx)
			}
		})
	}
	for _, bad := range []string{"192.0.2.0/33", "ip6:192.0.2.1", "ip4:2001:db8::1", "example.com", "fe80::1%eth0", ""} {
		if _, err := relay.ParseCIDRSet(bad); err == nil {
			t.Errorf("R11/ParseCIDRSet(%q) accepted", bad)
		}
	}
	spf, err := relay.ParseSPFRanges("v=spf1 ip4:192.0.2.0/24 +ip6:2001:db8::/48 include:_spf.example.com a mx -all")
	if err != nil || spf.String() != "192.0.2.0/24 2001:db8::/48" {
		t.Fatalf("R11/ParseSPFRanges = %v, %v", spf, err)
	}
}
