package alias

import "github.com/deskmail/deskmail"

// forwarding decides ViaCustomerForward and ForwardedFor for the chosen
// match.
func (r *Router) forwarding(rt *Route, h deskmail.Header) {
	s := &rt.SupportAddress
	if !s.CustomerOwned() {
		// A platform address reached directly; a forwarding header may still
		// name an outside address we do not know (a forward set up without
		// telling us).
		if rt.Platform || s.PlatformAddress == "" {
			if ff := r.foreignForward(rt, h); ff != "" {
				rt.ViaCustomerForward, rt.ForwardedFor = true, ff
			}
		}
		return
	}
	if !rt.Platform {
		// Matched the customer address itself: through a forwarding header
		// it was forwarded; in the envelope, To or Cc it came straight to a
		// domain the platform receives for.
		switch rt.Method {
		case MatchOriginalTo, MatchDeliveredTo, MatchForwardedTo:
			rt.ViaCustomerForward, rt.ForwardedFor = true, s.Address
			return
		}
		for _, m := range rt.Matches {
			if m.Account == rt.Account && m.Address == s.Address && m.Platform {
				rt.ViaCustomerForward, rt.ForwardedFor = true, s.Address
				return
			}
		}
		return
	}
	// Matched the platform address. It was forwarded unless the sender wrote
	// to the platform address itself (it appears in To or Cc while the
	// customer address appears nowhere).
	publicSeen, platformInHeader := false, false
	for _, m := range rt.Matches {
		if m.Account != rt.Account || m.Address != s.Address {
			continue
		}
		if !m.Platform {
			publicSeen = true
		} else if m.Method == MatchTo || m.Method == MatchCc {
			platformInHeader = true
		}
	}
	if publicSeen || !platformInHeader {
		rt.ViaCustomerForward, rt.ForwardedFor = true, s.Address
	}
}

// foreignForward returns the first address in X-Original-To or
// X-Forwarded-To that is not a support address of the route's account.
func (r *Router) foreignForward(rt *Route, h deskmail.Header) string {
	if h == nil {
		return ""
	}
	for _, field := range [...]string{"X-Original-To", "X-Forwarded-To"} {
		for _, v := range h.Values(field) {
			for _, k := range addressKeys(v) {
				bk, _ := r.baseKey(k)
				own := k == rt.SupportAddress.PlatformAddress
				for _, m := range rt.Matches {
					if m.Account == rt.Account && (m.Key == k || m.Address == k || m.Key == bk) {
						own = true
						break
					}
				}
				if !own {
					return k
				}
			}
		}
	}
	return ""
}
