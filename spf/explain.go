package spf

import (
	"strings"
	"time"
)

// macroPTR returns %{p}: a validated name of the client, preferring the
// current domain and its subdomains, or "unknown".
func (c *checker) macroPTR() string {
	if !c.ptrDone {
		c.ptrDone = true
		names, err := c.res.LookupAddr(c.ctx, c.ip.String())
		if err == nil {
			if len(names) > 10 {
				names = names[:10]
			}
			for _, n := range names {
				n = strings.TrimSuffix(n, ".")
				if c.validate(n) {
					c.ptrNames = append(c.ptrNames, n)
				}
			}
		}
	}
	if len(c.ptrNames) == 0 {
		return "unknown"
	}
	d := c.env.Current
	for _, n := range c.ptrNames {
		if strings.EqualFold(n, d) {
			return n
		}
	}
	for _, n := range c.ptrNames {
		if len(n) > len(d) && n[len(n)-len(d)-1] == '.' && strings.EqualFold(n[len(n)-len(d):], d) {
			return n
		}
	}
	return c.ptrNames[0]
}

// explain fetches and expands the exp= explanation; "" when it cannot.
func (c *checker) explain(t *Term, domain string) string {
	saved := c.env.Current
	c.env.Current = domain
	defer func() { c.env.Current = saved }()
	target, err := c.target(t, domain)
	if err != nil {
		c.expError(domain, t, err)
		return ""
	}
	txts, err := c.res.LookupTXT(c.ctx, target)
	if err != nil || len(txts) != 1 {
		if c.tracing() {
			c.step(domain, ": ", t.Text, ": no single TXT record at ", target, ": no explanation")
		}
		return ""
	}
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	c.env.Time = now().Unix()
	s, err := expand(txts[0], &c.env, true, c)
	if err != nil {
		c.expError(domain, t, err)
		return ""
	}
	if c.tracing() {
		c.step(domain, ": explanation: ", s)
	}
	return s
}
