package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Type is a DNS record type, numbered as on the wire.
type Type uint16

// The record types a Zone serves.
const (
	TypeA     Type = 1
	TypeCNAME Type = 5
	TypePTR   Type = 12
	TypeMX    Type = 15
	TypeTXT   Type = 16
	TypeAAAA  Type = 28
)

// String returns the type's mnemonic ("TXT").
func (t Type) String() string {
	switch t {
	case TypeA:
		return "A"
	case TypeCNAME:
		return "CNAME"
	case TypePTR:
		return "PTR"
	case TypeMX:
		return "MX"
	case TypeTXT:
		return "TXT"
	case TypeAAAA:
		return "AAAA"
	}
	return fmt.Sprintf("TYPE%d", uint16(t))
}

// Fault is a simulated failure of the lookups of one name and type.
type Fault int

// The faults a Zone can simulate.
const (
	NoFault  Fault = iota // answer normally
	Timeout               // the query times out (IsTimeout, IsTemporary)
	ServFail              // the server fails (SERVFAIL; IsTemporary)
)

// Sentinels found with errors.Is in the *net.DNSError values a Zone returns.
var (
	ErrNXDomain = errors.New("dnstest: name does not exist")
	ErrNoData   = errors.New("dnstest: no records of this type")
	ErrTimeout  = errors.New("dnstest: simulated timeout")
	ErrServFail = errors.New("dnstest: simulated server failure")
)

// maxCNAME bounds CNAME chains, as resolvers do.
const maxCNAME = 8

type node struct {
	txt    [][]string
	a      []netip.Addr // A and AAAA
	mx     []*net.MX
	ptr    []string
	cname  string // FQDN with trailing dot, or ""
	faults map[Type]Fault
	all    Fault // fault for every type, unless faults has the type
}

// Zone is an in-memory DNS zone. The zero value is not usable; call New.
type Zone struct {
	mu    sync.RWMutex
	names map[string]*node

	total  atomic.Int64
	byType [6]atomic.Int64 // indexed by typeIndex
}

// New returns an empty zone.
func New() *Zone { return &Zone{names: make(map[string]*node)} }

func typeIndex(t Type) int {
	switch t {
	case TypeA:
		return 0
	case TypeAAAA:
		return 1
	case TypeTXT:
		return 2
	case TypeMX:
		return 3
	case TypePTR:
		return 4
	}
	return 5
}

// canon lower-cases name and strips one trailing dot.
func canon(name string) string {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

func fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// validName reports whether name (canonical, no trailing dot) is a
// syntactically valid DNS name.
func validName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	l := 0
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			if l == 0 {
				return false
			}
			l = 0
			continue
		}
		l++
		if l > 63 {
			return false
		}
	}
	return l > 0
}

func (z *Zone) node(name string) *node {
	name = canon(name)
	n := z.names[name]
	if n == nil {
		n = &node{}
		z.names[name] = n
	}
	return n
}

// AddTXT adds one TXT record per argument, each a single character string
// (longer than 255 bytes is allowed, to test what resolvers return).
func (z *Zone) AddTXT(name string, records ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.node(name)
	for _, r := range records {
		n.txt = append(n.txt, []string{r})
	}
}

// AddTXTStrings adds one TXT record made of several character strings, as
// publishers split records longer than 255 bytes. LookupTXT returns them
// concatenated; LookupTXTStrings returns them as given.
func (z *Zone) AddTXTStrings(name string, strs ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.node(name)
	n.txt = append(n.txt, append([]string(nil), strs...))
}

// AddIP adds A or AAAA records. It panics on an address that does not
// parse, like netip.MustParseAddr: zones are test fixtures.
func (z *Zone) AddIP(name string, addrs ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.node(name)
	for _, s := range addrs {
		n.a = append(n.a, netip.MustParseAddr(s).Unmap())
	}
}

// AddMX adds an MX record.
func (z *Zone) AddMX(name string, pref uint16, host string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.node(name)
	n.mx = append(n.mx, &net.MX{Host: fqdn(host), Pref: pref})
}

// AddPTR adds PTR records for the address addr (at its in-addr.arpa or
// ip6.arpa name). It panics on an address that does not parse.
func (z *Zone) AddPTR(addr string, hosts ...string) {
	name := ReverseName(netip.MustParseAddr(addr))
	z.AddPTRName(name, hosts...)
}

// AddPTRName adds PTR records at a reverse name given literally.
func (z *Zone) AddPTRName(name string, hosts ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.node(name)
	for _, h := range hosts {
		n.ptr = append(n.ptr, fqdn(h))
	}
}

// SetCNAME makes name an alias of target. Lookups of any type at name
// follow the alias.
func (z *Zone) SetCNAME(name, target string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.node(name).cname = fqdn(target)
}

// SetFault makes lookups of the given types at name fail with f; with no
// types it applies to every type. NoFault clears it. A faulty name exists
// (it is not NXDOMAIN) even without records.
func (z *Zone) SetFault(name string, f Fault, types ...Type) {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.node(name)
	if len(types) == 0 {
		n.all = f
		n.faults = nil
		return
	}
	if n.faults == nil {
		n.faults = make(map[Type]Fault)
	}
	for _, t := range types {
		n.faults[t] = f
	}
}

// Remove deletes every record and fault of name.
func (z *Zone) Remove(name string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	delete(z.names, canon(name))
}

// Queries returns the number of lookups answered since New or the last
// ResetQueries. LookupIPAddr and LookupNetIP with network "ip" count as two
// (A and AAAA); every other method call counts as one, CNAME hops included.
func (z *Zone) Queries() int { return int(z.total.Load()) }

// QueriesOf returns the number of lookups of type t (TypeA, TypeAAAA,
// TypeTXT, TypeMX, TypePTR; other types share one counter).
func (z *Zone) QueriesOf(t Type) int { return int(z.byType[typeIndex(t)].Load()) }

// ResetQueries sets the counters to zero.
func (z *Zone) ResetQueries() {
	z.total.Store(0)
	for i := range z.byType {
		z.byType[i].Store(0)
	}
}

func (z *Zone) count(t Type) {
	z.total.Add(1)
	z.byType[typeIndex(t)].Add(1)
}

func notFound(name string, nx bool) error {
	e := &net.DNSError{Err: "no such host", Name: name, IsNotFound: true, UnwrapErr: ErrNoData}
	if nx {
		e.UnwrapErr = ErrNXDomain
	}
	return e
}

func faultErr(name string, f Fault) error {
	if f == Timeout {
		return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true, UnwrapErr: ErrTimeout}
	}
	return &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true, UnwrapErr: ErrServFail}
}

func ctxErr(ctx context.Context, name string) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	return &net.DNSError{Err: err.Error(), Name: name, IsTimeout: errors.Is(err, context.DeadlineExceeded), UnwrapErr: err}
}

// resolve finds the node answering a query for t at name, following
// CNAMEs. It returns the node (nil with an error) under z.mu's read lock.
func (z *Zone) resolve(ctx context.Context, name string, t Type) (*node, error) {
	if err := ctxErr(ctx, name); err != nil {
		return nil, err
	}
	z.count(t)
	orig := name
	c := canon(name)
	for hop := 0; ; hop++ {
		if !validName(c) {
			return nil, notFound(orig, true)
		}
		n := z.names[c]
		if n == nil {
			return nil, notFound(orig, true)
		}
		f := n.all
		if ff, ok := n.faults[t]; ok {
			f = ff
		}
		if f != NoFault {
			return nil, faultErr(orig, f)
		}
		if n.cname == "" || t == TypeCNAME {
			return n, nil
		}
		if hop >= maxCNAME {
			return nil, faultErr(orig, ServFail)
		}
		c = canon(n.cname)
	}
}

// LookupTXT returns the TXT records of name, the strings of each record
// concatenated, as (*net.Resolver).LookupTXT does.
func (z *Zone) LookupTXT(ctx context.Context, name string) ([]string, error) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	txt, err := z.txtRecords(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(txt))
	for i, r := range txt {
		if len(r) == 1 {
			out[i] = r[0]
		} else {
			out[i] = strings.Join(r, "")
		}
	}
	return out, nil
}

// LookupTXTStrings returns the TXT records of name with each record's
// character strings unjoined.
func (z *Zone) LookupTXTStrings(ctx context.Context, name string) ([][]string, error) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	txt, err := z.txtRecords(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(txt))
	for i, r := range txt {
		out[i] = append([]string(nil), r...)
	}
	return out, nil
}

// txtRecords resolves name's TXT records, or the not-found error when it has
// none. The caller holds z.mu.
func (z *Zone) txtRecords(ctx context.Context, name string) ([][]string, error) {
	n, err := z.resolve(ctx, name, TypeTXT)
	if err != nil {
		return nil, err
	}
	if len(n.txt) == 0 {
		return nil, notFound(name, false)
	}
	return n.txt, nil
}

func (z *Zone) lookupIP(ctx context.Context, host string, want4, want6 bool) ([]netip.Addr, error) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	var out []netip.Addr
	var firstErr error
	nx := true
	for _, t := range [2]Type{TypeA, TypeAAAA} {
		if (t == TypeA && !want4) || (t == TypeAAAA && !want6) {
			continue
		}
		n, err := z.resolve(ctx, host, t)
		if err != nil {
			var de *net.DNSError
			if errors.As(err, &de) && de.IsNotFound {
				continue
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		nx = false
		for _, a := range n.a {
			if (t == TypeA) == a.Is4() {
				out = append(out, a)
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, notFound(host, nx)
}

// LookupNetIP returns the addresses of host: network "ip4" asks for A
// records, "ip6" for AAAA, "ip" for both (A first), as
// (*net.Resolver).LookupNetIP does.
func (z *Zone) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	switch network {
	case "ip":
		return z.lookupIP(ctx, host, true, true)
	case "ip4":
		return z.lookupIP(ctx, host, true, false)
	case "ip6":
		return z.lookupIP(ctx, host, false, true)
	}
	return nil, net.UnknownNetworkError(network)
}

// LookupIPAddr returns the A and AAAA addresses of host, as
// (*net.Resolver).LookupIPAddr does.
func (z *Zone) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := z.lookupIP(ctx, host, true, true)
	if err != nil {
		return nil, err
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: net.IP(a.AsSlice())}
	}
	return out, nil
}

// LookupHost returns the addresses of host as strings, as
// (*net.Resolver).LookupHost does.
func (z *Zone) LookupHost(ctx context.Context, host string) ([]string, error) {
	addrs, err := z.lookupIP(ctx, host, true, true)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

// LookupMX returns the MX records of name sorted by preference, hosts with
// a trailing dot, as (*net.Resolver).LookupMX does (without its
// randomisation of equal preferences: the zone's order is kept).
func (z *Zone) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	n, err := z.resolve(ctx, name, TypeMX)
	if err != nil {
		return nil, err
	}
	if len(n.mx) == 0 {
		return nil, notFound(name, false)
	}
	out := make([]*net.MX, len(n.mx))
	for i, m := range n.mx {
		mm := *m
		out[i] = &mm
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pref < out[j].Pref })
	return out, nil
}

// LookupAddr returns the PTR names of addr (an IP address string), with a
// trailing dot, as (*net.Resolver).LookupAddr does.
func (z *Zone) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "unrecognized address", Name: addr}
	}
	name := ReverseName(ip)
	z.mu.RLock()
	defer z.mu.RUnlock()
	n, err := z.resolve(ctx, name, TypePTR)
	if err != nil {
		return nil, err
	}
	if len(n.ptr) == 0 {
		return nil, notFound(addr, false)
	}
	return append([]string(nil), n.ptr...), nil
}

// LookupCNAME returns the canonical name of host after following its CNAME
// chain, with a trailing dot, as (*net.Resolver).LookupCNAME does; a name
// without a CNAME is its own canonical name if it exists.
func (z *Zone) LookupCNAME(ctx context.Context, host string) (string, error) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	if err := ctxErr(ctx, host); err != nil {
		return "", err
	}
	z.count(TypeCNAME)
	c := canon(host)
	for hop := 0; ; hop++ {
		if !validName(c) {
			return "", notFound(host, true)
		}
		n := z.names[c]
		if n == nil {
			return "", notFound(host, true)
		}
		if n.cname == "" {
			return c + ".", nil
		}
		if hop >= maxCNAME {
			return "", faultErr(host, ServFail)
		}
		c = canon(n.cname)
	}
}

// ReverseName returns the in-addr.arpa or ip6.arpa name of ip, without a
// trailing dot.
func ReverseName(ip netip.Addr) string {
	ip = ip.Unmap()
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.in-addr.arpa", a[3], a[2], a[1], a[0])
		return b.String()
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	b.Grow(72)
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString("ip6.arpa")
	return b.String()
}

func mxRecord(pref uint16, host string) *net.MX { return &net.MX{Host: fqdn(host), Pref: pref} }
