package spf

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
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
	h := new(checkAlloc)
	if opts.Trace {
		c.trace = new(strings.Builder)
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
		if c.tracing() {
			c.step(domain, ": not a valid multi-label domain name: none")
		}
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
	if c.tracing() {
		c.step("result: ", string(out.Result))
		out.trace = c.trace.String()
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
	trace      *strings.Builder // the trace lines; nil without Options.Trace
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
		if c.tracing() {
			c.step(domain, ": ", t.Text, ": lookup ", strconv.Itoa(c.lookups), " exceeds the limit of ", strconv.Itoa(c.maxLookups), ": permerror")
		}
		return &CheckError{Err: ErrTooManyLookups, Domain: domain, Term: t.Text}
	}
	return nil
}

func (c *checker) void(what, domain string) error {
	c.voids++
	if c.maxVoid > 0 && c.voids > c.maxVoid {
		if c.tracing() {
			c.step(domain, ": void lookup ", strconv.Itoa(c.voids), " (", what, ") exceeds the limit of ", strconv.Itoa(c.maxVoid), ": permerror")
		}
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
			if c.tracing() {
				c.step(domain, ": no TXT records: none")
			}
			return nil, None, ErrNoRecord
		}
		if c.tracing() {
			c.step(domain, ": TXT lookup failed: ", err.Error(), ": temperror")
		}
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
		if c.tracing() {
			c.step(domain, ": no SPF record among ", strconv.Itoa(len(txts)), " TXT records: none")
		}
		return nil, None, ErrNoRecord
	case 1:
	default:
		if c.tracing() {
			c.step(domain, ": ", strconv.Itoa(n), " SPF records: permerror")
		}
		return nil, PermError, &CheckError{Err: ErrMultipleRecords, Domain: domain}
	}
	if c.tracing() {
		c.step(domain, ": ", found)
	}
	rec := &Record{Raw: found}
	if err := parseInto(rec, found); err != nil {
		if c.tracing() {
			c.step(domain, ": ", err.Error(), ": permerror")
		}
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
			if c.tracing() {
				c.step(domain, ": already being evaluated: loop: permerror")
			}
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
			if c.tracing() {
				c.step(domain, ": ", t.Text, " matches: ", string(res))
			}
			c.mech, c.mechDomain, c.expTerm, c.expDomain = t.Text, domain, nil, ""
			if res == Fail {
				c.expTerm, c.expDomain = rec.Exp, domain
			}
			return res, nil
		}
		if c.tracing() {
			c.step(domain, ": ", t.Text, " does not match")
		}
	}
	if t := rec.Redirect; t != nil {
		if err := c.countLookup(t, domain); err != nil {
			return PermError, err
		}
		target, err := c.target(t, domain)
		if err != nil {
			c.termError(domain, t, err)
			return PermError, err
		}
		if c.tracing() {
			c.step(domain, ": ", t.Text, " -> ", target)
		}
		r, err := c.eval(target, depth+1)
		if r == None {
			if c.tracing() {
				c.step(domain, ": redirect to ", target, " found no SPF record: permerror")
			}
			return PermError, &CheckError{Err: ErrNoRedirectRecord, Domain: domain, Term: rec.Redirect.Text, Detail: target}
		}
		return r, err
	}
	if c.tracing() {
		c.step(domain, ": no mechanism matched: neutral")
	}
	c.mech, c.mechDomain, c.expTerm = "default", domain, nil
	return Neutral, nil
}
