package relay

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// CIDRSet is a set of address ranges: the platform's source ranges a
// customer adds to a relay's allow-list (R11). The zero value is empty.
// It is immutable once built, so safe for concurrent use.
type CIDRSet struct {
	prefixes []netip.Prefix // masked, sorted, without ranges covered by others
}

// ParseCIDRSet parses ranges ("192.0.2.0/24", "2001:db8::/32") and single
// addresses ("192.0.2.7" is a /32). It accepts SPF terms too ("ip4:…",
// "ip6:…"), so an SPF include of the platform can be pasted.
func ParseCIDRSet(ranges ...string) (*CIDRSet, error) {
	s := &CIDRSet{}
	for _, r := range ranges {
		p, err := parsePrefix(r)
		if err != nil {
			return nil, err
		}
		s.prefixes = append(s.prefixes, p)
	}
	s.normalize()
	return s, nil
}

// ParseSPFRanges returns the ip4: and ip6: terms of an SPF record
// ("v=spf1 ip4:192.0.2.0/24 include:… -all") as a set; other terms are
// skipped.
func ParseSPFRanges(record string) (*CIDRSet, error) {
	var terms []string
	for _, f := range strings.Fields(record) {
		f = strings.TrimLeft(f, "+")
		l := strings.ToLower(f)
		if strings.HasPrefix(l, "ip4:") || strings.HasPrefix(l, "ip6:") {
			terms = append(terms, f)
		}
	}
	return ParseCIDRSet(terms...)
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	l := strings.ToLower(s)
	v4, v6 := strings.HasPrefix(l, "ip4:"), strings.HasPrefix(l, "ip6:")
	if v4 || v6 {
		s = s[4:]
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("relay: %q is not an address range", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("relay: %q is not an address or range", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("relay: %q has a zone", s)
	}
	if p.Addr().Is4In6() && p.Bits() < 96 {
		return netip.Prefix{}, fmt.Errorf("relay: %q mixes IPv4-mapped addresses with a short prefix", s)
	}
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p)).Masked()
	if (v4 && !p.Addr().Is4()) || (v6 && !p.Addr().Is6()) {
		return netip.Prefix{}, fmt.Errorf("relay: %q is the wrong address family for its term", s)
	}
	return p, nil
}

func unmapBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		return 96
	}
	return 0
}

func (s *CIDRSet) normalize() {
	slices.SortFunc(s.prefixes, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	out := s.prefixes[:0]
	for _, p := range s.prefixes {
		if n := len(out); n > 0 && out[n-1].Bits() <= p.Bits() && out[n-1].Contains(p.Addr()) {
			continue // covered by the previous, wider range
		}
		out = append(out, p)
	}
	s.prefixes = out
}

// Contains reports whether addr is in the set. IPv4-mapped IPv6 addresses
// match IPv4 ranges.
func (s *CIDRSet) Contains(addr netip.Addr) bool {
	_, ok := s.Lookup(addr)
	return ok
}

// Lookup returns the range holding addr.
func (s *CIDRSet) Lookup(addr netip.Addr) (netip.Prefix, bool) {
	if s == nil {
		return netip.Prefix{}, false
	}
	addr = addr.Unmap().WithZone("")
	i, _ := slices.BinarySearchFunc(s.prefixes, addr, func(p netip.Prefix, a netip.Addr) int {
		return p.Addr().Compare(a)
	})
	// The holder, if any, starts at or before addr; ranges do not nest.
	for j := min(i, len(s.prefixes)-1); j >= 0 && j >= i-1; j-- {
		if s.prefixes[j].Contains(addr) {
			return s.prefixes[j], true
		}
	}
	return netip.Prefix{}, false
}

// Prefixes returns the ranges, sorted, with covered ranges removed.
func (s *CIDRSet) Prefixes() []netip.Prefix {
	if s == nil {
		return nil
	}
	return slices.Clone(s.prefixes)
}

// SPFTerms returns the ranges as SPF mechanisms ("ip4:192.0.2.0/24",
// "ip6:2001:db8::/32"; single addresses without a length).
func (s *CIDRSet) SPFTerms() []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s.prefixes))
	for i, p := range s.prefixes {
		out[i] = SPFTerm(p)
	}
	return out
}

// SPFTerm returns the SPF mechanism matching p.
func SPFTerm(p netip.Prefix) string {
	mech := "ip6:"
	if p.Addr().Is4() {
		mech = "ip4:"
	}
	if p.IsSingleIP() {
		return mech + p.Addr().String()
	}
	return mech + p.String()
}

// String returns the ranges separated by spaces.
func (s *CIDRSet) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(s.prefixes))
	for i, p := range s.prefixes {
		parts[i] = p.String()
	}
	return strings.Join(parts, " ")
}
