package spf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// CheckHost runs check_host() of RFC 7208 section 4 for the client ip, the
// domain to check and the sender ("local@domain"; a missing local-part
// becomes "postmaster"). The returned Check is never nil.
func CheckHost(ctx context.Context, ip netip.Addr, domain, sender string, opts *Options) *Check {
	return checkHost(ctx, ip, domain, sender, "", opts)
}

var defaultOptions Options

func checkHost(ctx context.Context, ip netip.Addr, domain, sender, helo string, opts *Options) *Check {
	if opts == nil {
		opts = &defaultOptions
	}
	if opts.HELO != "" {
		helo = opts.HELO
	}
	c := &checker{ctx: ctx, now: opts.Now, res: opts.Resolver}
	if c.res == nil {
		c.res = net.DefaultResolver
	}
	c.maxLookups = opts.MaxLookups
	if c.maxLookups == 0 {
		c.maxLookups = 10
	}
	c.maxVoid = opts.MaxVoidLookups
	if c.maxVoid == 0 {
		c.maxVoid = 2
	}
	var h *checkAlloc
	if opts.NoTrace {
		h = new(checkAlloc)
	} else {
		th := new(tracedAlloc)
		h = &th.checkAlloc
		c.trace = th.events[:0]
	}
	c.cache = h.cache[:0]
	ip = ip.Unmap()
	c.ip = ip
	domain = strings.TrimSuffix(domain, ".")
	local, sdom := splitSender(sender)
	if sdom == "" {
		sdom = domain
	}
	if local == "" {
		local = "postmaster"
	}
	if len(sender) != len(local)+1+len(sdom) || sender[len(local)] != '@' {
		sender = local + "@" + sdom // postmaster or the domain added
	}
	c.env = MacroEnv{Sender: sender, Local: local, Domain: sdom, Current: domain, IP: ip, HELO: helo, Receiver: opts.Receiver}
	out := &h.Check
	out.IP, out.Domain, out.Sender = ip, domain, c.env.Sender
	out.HELO, out.Receiver = helo, opts.Receiver
	if !validDomain(domain) {
		out.Result = None
		out.Err = &CheckError{Err: ErrInvalidDomain, Domain: domain}
		c.ev(evInvalidDomain, domain, nil)
	} else {
		r, err := c.eval(domain, 0)
		out.Result, out.Err = r, err
		if r == Fail && c.expTerm != nil {
			out.Explanation = c.explain(c.expTerm, c.expDomain)
		}
	}
	out.Mechanism, out.MechanismDomain = c.mech, c.mechDomain
	out.Lookups, out.VoidLookups = c.lookups, c.voids
	if out.Result != Pass && out.Result != Fail && out.Result != SoftFail && out.Result != Neutral {
		out.Mechanism, out.MechanismDomain = "", ""
	}
	if c.trace != nil {
		out.trace = c.trace
		out.maxLookups, out.maxVoid = int32(c.maxLookups), int32(c.maxVoid)
	}
	h.cache = [len(h.cache)]cachedRecord{} // do not keep records alive
	return out
}

// checkAlloc puts the returned Check and the first record-cache entries
// in one allocation.
type checkAlloc struct {
	Check
	cache [2]cachedRecord // most checks read one or two records
}

// tracedAlloc adds room for the trace events of most checks (the RFC 7208
// suite's checks record 1 to 4).
type tracedAlloc struct {
	checkAlloc
	events [4]traceEvent
}

// CheckMailFrom checks the MAIL FROM identity as RFC 7208 section 2.4 asks:
// the domain of mailFrom, or with an empty reverse-path the HELO identity
// as "postmaster@helo". helo also feeds %{h} unless opts.HELO is set.
func CheckMailFrom(ctx context.Context, ip netip.Addr, mailFrom, helo string, opts *Options) *Check {
	mailFrom = strings.TrimSuffix(strings.TrimPrefix(mailFrom, "<"), ">")
	if mailFrom == "" {
		c := checkHost(ctx, ip, helo, "postmaster@"+helo, helo, opts)
		c.Identity = "helo"
		return c
	}
	_, dom := splitSender(mailFrom)
	c := checkHost(ctx, ip, dom, mailFrom, helo, opts)
	c.Identity = "mailfrom"
	return c
}

// CheckHELO checks the HELO identity (RFC 7208 section 2.3).
func CheckHELO(ctx context.Context, ip netip.Addr, helo string, opts *Options) *Check {
	c := checkHost(ctx, ip, helo, "postmaster@"+helo, helo, opts)
	c.Identity = "helo"
	return c
}

func splitSender(s string) (local, domain string) {
	k := strings.LastIndexByte(s, '@')
	if k < 0 {
		return "", s
	}
	return s[:k], s[k+1:]
}

// validDomain: RFC 7208 section 4.3 — a multi-label name with labels of
// 1 to 63 octets.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || d[0] == '[' {
		return false
	}
	labels, l := 1, 0
	for i := 0; i < len(d); i++ {
		if d[i] == '.' {
			if l == 0 {
				return false
			}
			labels++
			l = 0
			continue
		}
		l++
		if l > 63 {
			return false
		}
	}
	return l > 0 && labels > 1
}

type cachedRecord struct {
	domain string
	rec    *Record
	active bool // being evaluated
}

type checker struct {
	ctx        context.Context
	now        func() time.Time // Options.Now
	res        Resolver
	ip         netip.Addr
	env        MacroEnv
	maxLookups int
	maxVoid    int
	lookups    int
	voids      int
	trace      []traceEvent // nil without trace
	cache      []cachedRecord

	mech, mechDomain string
	expTerm          *Term
	expDomain        string

	ptrDone  bool
	ptrNames []string // validated names of ip, for %{p}
}

func dnsErr(kind, name string, err error) error {
	return &CheckError{Err: ErrDNS, Domain: name, Detail: kind, DNSErr: err}
}

// notFound reports whether err says the name or records do not exist.
func notFound(err error) bool {
	if de, ok := err.(*net.DNSError); ok {
		return de.IsNotFound
	}
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func (c *checker) countLookup(t *Term, domain string) error {
	c.lookups++
	if c.lookups > c.maxLookups {
		c.evArg(evLookupLimit, domain, t, c.lookups, "", nil)
		return &CheckError{Err: ErrTooManyLookups, Domain: domain, Term: t.Text}
	}
	return nil
}

func (c *checker) void(what, domain string) error {
	c.voids++
	if c.maxVoid > 0 && c.voids > c.maxVoid {
		c.evArg(evVoidLimit, domain, nil, c.voids, what, nil)
		return &CheckError{Err: ErrTooManyVoidLookups, Domain: domain, Term: what}
	}
	return nil
}

// fetch returns the SPF record of domain: nil with None if there is none.
func (c *checker) fetch(domain string) (*Record, Result, error) {
	for _, e := range c.cache {
		if strings.EqualFold(e.domain, domain) {
			return e.rec, "", nil
		}
	}
	txts, err := c.res.LookupTXT(c.ctx, domain)
	if err != nil {
		if notFound(err) {
			c.ev(evNoTXT, domain, nil)
			return nil, None, ErrNoRecord
		}
		c.evArg(evTXTFailed, domain, nil, 0, "", err)
		return nil, TempError, dnsErr("TXT", domain, err)
	}
	var found string
	n := 0
	for _, t := range txts {
		if IsSPF(t) {
			n++
			found = t
		}
	}
	switch n {
	case 0:
		c.evArg(evNoSPF, domain, nil, len(txts), "", nil)
		return nil, None, ErrNoRecord
	case 1:
	default:
		c.evArg(evMultipleSPF, domain, nil, n, "", nil)
		return nil, PermError, &CheckError{Err: ErrMultipleRecords, Domain: domain}
	}
	c.evArg(evRecord, domain, nil, 0, found, nil)
	rec := &Record{Raw: found}
	if err := parseInto(rec, found); err != nil {
		c.evArg(evParseError, domain, nil, 0, "", err)
		return nil, PermError, &CheckError{Err: err, Domain: domain}
	}
	c.cache = append(c.cache, cachedRecord{domain: domain, rec: rec})
	return rec, "", nil
}

func (c *checker) eval(domain string, depth int) (Result, error) {
	// The cache doubles as the evaluation stack: an entry is active while
	// its record is being evaluated, so meeting it again is a loop.
	for i := range c.cache {
		if e := &c.cache[i]; e.active && strings.EqualFold(e.domain, domain) {
			c.ev(evLoop, domain, nil)
			var chain []string
			for _, e := range c.cache {
				if e.active {
					chain = append(chain, e.domain)
				}
			}
			return PermError, &CheckError{Err: ErrLoop, Domain: domain, Detail: strings.Join(append(chain, domain), " -> ")}
		}
	}
	rec, r, err := c.fetch(domain)
	if rec == nil {
		c.mech, c.mechDomain, c.expTerm = "", domain, nil
		return r, err
	}
	ci := -1
	for i := range c.cache {
		if c.cache[i].rec == rec {
			ci = i
		}
	}
	c.cache[ci].active = true
	defer func() { c.cache[ci].active = false }()
	saved := c.env.Current
	c.env.Current = domain
	defer func() { c.env.Current = saved }()

	for i := range rec.Terms {
		t := &rec.Terms[i]
		if !t.Kind.IsMechanism() {
			continue
		}
		m, r, err := c.match(t, domain, depth)
		if err != nil {
			c.mech, c.mechDomain, c.expTerm = t.Text, domain, nil
			return r, err
		}
		if m {
			res := t.Qualifier.Result()
			c.ev(evMatch, domain, t)
			c.mech, c.mechDomain, c.expTerm, c.expDomain = t.Text, domain, nil, ""
			if res == Fail {
				c.expTerm, c.expDomain = rec.Exp, domain
			}
			return res, nil
		}
		c.ev(evNoMatch, domain, t)
	}
	if t := rec.Redirect; t != nil {
		if err := c.countLookup(t, domain); err != nil {
			return PermError, err
		}
		target, err := c.target(t, domain)
		if err != nil {
			c.evArg(evTermError, domain, t, 0, "", err)
			return PermError, err
		}
		c.evArg(evTarget, domain, t, 0, target, nil)
		r, err := c.eval(target, depth+1)
		if r == None {
			c.evArg(evRedirectNone, domain, nil, 0, target, nil)
			return PermError, &CheckError{Err: ErrNoRedirectRecord, Domain: domain, Term: rec.Redirect.Text, Detail: target}
		}
		return r, err
	}
	c.ev(evDefault, domain, nil)
	c.mech, c.mechDomain, c.expTerm = "default", domain, nil
	return Neutral, nil
}

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
		c.evArg(evTermError, domain, t, 0, "", err)
		return false, PermError, err
	}
	switch t.Kind {
	case KindInclude:
		c.evArg(evTarget, domain, t, 0, target, nil)
		r, err := c.eval(target, depth+1)
		switch r {
		case Pass:
			return true, "", nil
		case Fail, SoftFail, Neutral:
			return false, "", nil
		case None:
			c.ev(evIncludeNone, domain, t)
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
			c.evArg(evTooManyMX, domain, t, len(mxs), "", nil)
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
				c.evArg(evMXAddrFailed, domain, t, 0, h, err)
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
		c.evArg(evVoid, domain, t, kind, target, nil)
		if err := c.void(t.Text, domain); err != nil {
			return false, PermError, err
		}
		return false, "", nil
	}
	c.evArg(evLookupFailed, domain, t, kind, target, err)
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
		c.evArg(evExpTermError, domain, t, 0, "", err)
		return ""
	}
	txts, err := c.res.LookupTXT(c.ctx, target)
	if err != nil || len(txts) != 1 {
		c.evArg(evExpNoTXT, domain, t, 0, target, nil)
		return ""
	}
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	c.env.Time = now().Unix()
	s, err := expand(txts[0], &c.env, true, c)
	if err != nil {
		c.evArg(evExpTermError, domain, t, 0, "", err)
		return ""
	}
	c.evArg(evExplanation, domain, nil, 0, s, nil)
	return s
}
