package dmarc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Resolver is the subset of *net.Resolver's methods DMARC needs: TXT for
// records, and A/AAAA/MX to tell whether a domain exists (np=).
// *net.Resolver and dnstest.Zone implement it. A *net.DNSError with
// IsNotFound means no such name or no records; any other error is a
// temporary failure.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

var _ Resolver = net.DefaultResolver

// Mode selects how the organizational domain is found.
type Mode int

const (
	// TreeWalk is RFC 9989: walk the DNS tree from the domain towards the
	// root, reading psd= on the way. The zero value.
	TreeWalk Mode = iota
	// PublicSuffix is RFC 7489: the organizational domain is the public
	// suffix plus one label (golang.org/x/net/publicsuffix), and the
	// policy is read at the domain, else at the organizational domain.
	PublicSuffix
)

func (m Mode) String() string {
	if m == PublicSuffix {
		return "rfc7489"
	}
	return "rfc9989"
}

// ErrTemporary is wrapped by errors from DNS failures that may go away.
var ErrTemporary = errors.New("dmarc: temporary DNS failure")

// walker does the lookups of one evaluation, caching each name.
type walker struct {
	ctx   context.Context
	r     Resolver
	mode  Mode
	cache map[string]found
	notes []string
}

type found struct {
	rec *Record
	err error // temporary failure
}

func newWalker(ctx context.Context, r Resolver, mode Mode) *walker {
	if r == nil {
		r = net.DefaultResolver
	}
	return &walker{ctx: ctx, r: r, mode: mode, cache: map[string]found{}}
}

func normalize(d string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
}

// record returns the valid DMARC record at _dmarc.domain, nil when there
// is none (no record, several, or an invalid one: RFC 9989 section 4.10
// treats all three as none), or a temporary error.
func (w *walker) record(domain string) (*Record, error) {
	if f, ok := w.cache[domain]; ok {
		return f.rec, f.err
	}
	name := "_dmarc." + domain
	txts, err := w.r.LookupTXT(w.ctx, name)
	var f found
	var dnsErr *net.DNSError
	switch {
	case err == nil:
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		txts = nil
	default:
		f.err = fmt.Errorf("%w: TXT %s: %v", ErrTemporary, name, err)
	}
	if f.err == nil {
		var recs []string
		for _, t := range txts {
			if IsDMARC(t) {
				recs = append(recs, t)
			}
		}
		switch len(recs) {
		case 0:
		case 1:
			rec, err := Parse(recs[0])
			if err != nil {
				w.notes = append(w.notes, fmt.Sprintf("the record at %s is invalid and ignored: %v", name, strings.TrimPrefix(err.Error(), "dmarc: ")))
			} else {
				f.rec = rec
			}
		default:
			w.notes = append(w.notes, fmt.Sprintf("%s has %d DMARC records; receivers ignore them all", name, len(recs)))
		}
	}
	w.cache[domain] = f
	return f.rec, f.err
}

// walkNames returns the names the RFC 9989 tree walk queries for domain:
// the domain itself, then (after shortening a name of more than 8 labels
// to 7) each parent down to the top-level domain.
func walkNames(domain string) []string {
	labels := strings.Split(domain, ".")
	names := []string{domain}
	start := 1
	if len(labels) > 8 {
		start = len(labels) - 7
	}
	for i := start; i < len(labels); i++ {
		names = append(names, strings.Join(labels[i:], "."))
	}
	return names
}

// policyRecord finds the record whose policy applies to domain: RFC 9989
// policy discovery (the first record on the tree walk), or RFC 7489 (the
// domain, else its organizational domain).
func (w *walker) policyRecord(domain string) (*Record, string, error) {
	if w.mode == PublicSuffix {
		rec, err := w.record(domain)
		if err != nil || rec != nil {
			return rec, domain, err
		}
		org := w.psOrg(domain)
		if org == domain {
			return nil, "", nil
		}
		rec, err = w.record(org)
		if rec == nil {
			org = ""
		}
		return rec, org, err
	}
	for _, name := range walkNames(domain) {
		rec, err := w.record(name)
		if err != nil {
			return nil, "", err
		}
		if rec != nil {
			return rec, name, nil
		}
	}
	return nil, "", nil
}

func (w *walker) psOrg(domain string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// orgDomain returns the organizational domain of domain.
func (w *walker) orgDomain(domain string) (string, error) {
	if w.mode == PublicSuffix {
		return w.psOrg(domain), nil
	}
	names := walkNames(domain)
	fewest := ""
	for i, name := range names {
		rec, err := w.record(name)
		if err != nil {
			return "", err
		}
		if rec == nil {
			continue
		}
		switch rec.PSD {
		case "n":
			return name, nil
		case "y":
			if i > 0 {
				// The domain one label below the public suffix domain.
				return names[i-1], nil
			}
		}
		fewest = name
	}
	if fewest == "" {
		return domain, nil
	}
	return fewest, nil
}

// exists reports whether domain exists in DNS: RFC 9989 calls a domain
// non-existent when A, AAAA and MX all find nothing. (A *net.Resolver
// cannot tell NXDOMAIN from NODATA, so a name with other records but no
// A, AAAA or MX also counts as non-existent.)
func (w *walker) exists(domain string) (bool, error) {
	notFound := func(err error) bool {
		var d *net.DNSError
		return errors.As(err, &d) && d.IsNotFound
	}
	ips, err := w.r.LookupNetIP(w.ctx, "ip", domain)
	if err == nil && len(ips) > 0 {
		return true, nil
	}
	if err != nil && !notFound(err) {
		return false, fmt.Errorf("%w: A/AAAA %s: %v", ErrTemporary, domain, err)
	}
	mx, err := w.r.LookupMX(w.ctx, domain)
	if err == nil && len(mx) > 0 {
		return true, nil
	}
	if err != nil && !notFound(err) {
		return false, fmt.Errorf("%w: MX %s: %v", ErrTemporary, domain, err)
	}
	return false, nil
}

// aligned reports whether id is aligned with from under mode a.
func (w *walker) aligned(from, id string, a Alignment) (bool, error) {
	if id == "" {
		return false, nil
	}
	if from == id {
		return true, nil
	}
	if a == AlignStrict {
		return false, nil
	}
	// Relaxed: the organizational domains must be the same.
	fo, err := w.orgDomain(from)
	if err != nil {
		return false, err
	}
	io, err := w.orgDomain(id)
	if err != nil {
		return false, err
	}
	return fo == io, nil
}

// Discovery is what DNS says about a domain's DMARC setup.
type Discovery struct {
	Domain string `json:"domain"`
	// OrgDomain is the organizational domain.
	OrgDomain string `json:"org_domain"`
	// Record is the record whose policy applies to Domain, found at
	// RecordDomain; nil when there is none.
	Record       *Record `json:"record,omitempty"`
	RecordDomain string  `json:"record_domain,omitempty"`
	// Mode is how the organizational domain was found.
	Mode string `json:"mode"`
	// Notes are records that were ignored and why.
	Notes []string `json:"notes,omitempty"`
}

// Discover finds the DMARC record that applies to domain and its
// organizational domain. Errors wrap ErrTemporary.
func Discover(ctx context.Context, domain string, opts *Options) (*Discovery, error) {
	o := opts.orDefault()
	w := newWalker(ctx, o.Resolver, o.Mode)
	domain = normalize(domain)
	d := &Discovery{Domain: domain, Mode: o.Mode.String()}
	rec, at, err := w.policyRecord(domain)
	if err != nil {
		return nil, err
	}
	d.Record, d.RecordDomain = rec, at
	if d.OrgDomain, err = w.orgDomain(domain); err != nil {
		return nil, err
	}
	d.Notes = w.notes
	return d, nil
}

// OrgDomain returns the organizational domain of domain under the mode of
// opts. Errors wrap ErrTemporary.
func OrgDomain(ctx context.Context, domain string, opts *Options) (string, error) {
	o := opts.orDefault()
	return newWalker(ctx, o.Resolver, o.Mode).orgDomain(normalize(domain))
}

// Aligned reports whether the identifier domain id (an SPF-checked or a
// DKIM d= domain) is aligned with the From domain from under mode a:
// relaxed means the same organizational domain (found as Options.Mode
// says), strict the same domain. An empty id is never aligned. The error
// is a DNS failure (errors.Is ErrTemporary).
func Aligned(ctx context.Context, from, id string, a Alignment, opts *Options) (bool, error) {
	o := opts.orDefault()
	return newWalker(ctx, o.Resolver, o.Mode).aligned(normalize(from), normalize(id), a)
}
