package spf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// target expands the domain-spec of t, or returns the current domain.
func (c *checker) target(t *Term, domain string) (string, error) {
	if t.Domain == "" {
		return domain, nil
	}
	if strings.IndexByte(t.Domain, '%') < 0 {
		return strings.TrimSuffix(t.Domain, "."), nil
	}
	s, err := expand(t.Domain, &c.env, false, c)
	if err != nil {
		return "", &CheckError{Err: err, Domain: domain, Term: t.Text}
	}
	return truncateDomain(s), nil
}

func (c *checker) network() string {
	if c.ip.Is4() {
		return "ip4"
	}
	return "ip6"
}

func (c *checker) contains(addrs []netip.Addr, t *Term) bool {
	bits := int(t.CIDR4)
	if !c.ip.Is4() {
		bits = int(t.CIDR6)
	}
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() != c.ip.Is4() {
			continue
		}
		if p, err := a.Prefix(bits); err == nil && p.Contains(c.ip) {
			return true
		}
	}
	return false
}

// match evaluates one mechanism. An error comes with TempError or
// PermError.
func (c *checker) match(t *Term, domain string, depth int) (bool, Result, error) {
	switch t.Kind {
	case KindAll:
		return true, "", nil
	case KindIP4, KindIP6:
		if t.Prefix.Addr().Is4() != c.ip.Is4() {
			return false, "", nil
		}
		return t.Prefix.Contains(c.ip), "", nil
	}
	if err := c.countLookup(t, domain); err != nil {
		return false, PermError, err
	}
	target, err := c.target(t, domain)
	if err != nil {
		c.termError(domain, t, err)
		return false, PermError, err
	}
	switch t.Kind {
	case KindInclude:
		if c.tracing() {
			c.step(domain, ": ", t.Text, " -> ", target)
		}
		r, err := c.eval(target, depth+1)
		switch r {
		case Pass:
			return true, "", nil
		case Fail, SoftFail, Neutral:
			return false, "", nil
		case None:
			if c.tracing() {
				c.step(domain, ": ", t.Text, " found no SPF record: permerror")
			}
			return false, PermError, &CheckError{Err: ErrNoIncludeRecord, Domain: domain, Term: t.Text, Detail: target}
		}
		return false, r, err
	case KindA:
		addrs, err := c.res.LookupNetIP(c.ctx, c.network(), target)
		if err != nil {
			return c.lookupFailed(t, domain, qAddr, target, err)
		}
		return c.contains(addrs, t), "", nil
	case KindMX:
		mxs, err := c.res.LookupMX(c.ctx, target)
		if err != nil {
			return c.lookupFailed(t, domain, qMX, target, err)
		}
		if len(mxs) > 10 {
			if c.tracing() {
				c.step(domain, ": ", t.Text, ": ", strconv.Itoa(len(mxs)), " MX names, more than 10: permerror")
			}
			return false, PermError, &CheckError{Err: ErrTooManyMX, Domain: domain, Term: t.Text, Detail: fmt.Sprintf("%s has %d", target, len(mxs))}
		}
		for _, mx := range mxs {
			h := strings.TrimSuffix(mx.Host, ".")
			if h == "" {
				continue // null MX
			}
			addrs, err := c.res.LookupNetIP(c.ctx, c.network(), h)
			if err != nil {
				if notFound(err) {
					continue
				}
				if c.tracing() {
					c.step(domain, ": ", t.Text, ": address lookup of ", h, " failed: ", err.Error(), ": temperror")
				}
				return false, TempError, dnsErr("A/AAAA", h, err)
			}
			if c.contains(addrs, t) {
				return true, "", nil
			}
		}
		return false, "", nil
	case KindPTR:
		names, err := c.res.LookupAddr(c.ctx, c.ip.String())
		if err != nil {
			if notFound(err) {
				if err := c.void(t.Text, domain); err != nil {
					return false, PermError, err
				}
			}
			return false, "", nil // RFC 7208 5.5: a failed PTR lookup does not match
		}
		if len(names) > 10 {
			names = names[:10]
		}
		for _, n := range names {
			n = strings.TrimSuffix(n, ".")
			if !(strings.EqualFold(n, target) || (len(n) > len(target) && n[len(n)-len(target)-1] == '.' && strings.EqualFold(n[len(n)-len(target):], target))) {
				continue
			}
			if c.validate(n) {
				return true, "", nil
			}
		}
		return false, "", nil
	case KindExists:
		addrs, err := c.res.LookupNetIP(c.ctx, "ip4", target)
		if err != nil {
			return c.lookupFailed(t, domain, qA, target, err)
		}
		return len(addrs) > 0, "", nil
	}
	return false, PermError, fmt.Errorf("spf: unexpected term %q", t.Text)
}

func (c *checker) lookupFailed(t *Term, domain string, kind int, target string, err error) (bool, Result, error) {
	if notFound(err) {
		if c.tracing() {
			c.step(domain, ": ", t.Text, ": ", queryNames[kind], " ", target, ": not found (void lookup)")
		}
		if err := c.void(t.Text, domain); err != nil {
			return false, PermError, err
		}
		return false, "", nil
	}
	if c.tracing() {
		c.step(domain, ": ", t.Text, ": ", queryNames[kind], " lookup of ", target, " failed: ", err.Error(), ": temperror")
	}
	return false, TempError, dnsErr(queryNames[kind], target, err)
}

// validate reports whether name resolves back to the client address.
func (c *checker) validate(name string) bool {
	addrs, err := c.res.LookupNetIP(c.ctx, c.network(), name)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.Unmap() == c.ip {
			return true
		}
	}
	return false
}
