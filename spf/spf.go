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

// Resolver is the subset of *net.Resolver's methods check_host() uses, so
// *net.Resolver (and dnstest.Zone in tests) serve as they are.
//
// Implementations must be safe for concurrent use if checks run
// concurrently. A name that does not exist or has no records of the asked
// type must give a *net.DNSError with IsNotFound (a void lookup); any other
// error is a temporary DNS failure (temperror).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ Resolver = net.DefaultResolver

// Result is the outcome of check_host() (RFC 7208 section 2.6).
type Result string

// The results of RFC 7208 section 2.6.
const (
	None      Result = "none"      // no SPF record, or no checkable domain
	Neutral   Result = "neutral"   // the domain asserts nothing (?)
	Pass      Result = "pass"      // the client is authorized
	Fail      Result = "fail"      // the client is not authorized (-)
	SoftFail  Result = "softfail"  // probably not authorized (~)
	TempError Result = "temperror" // transient DNS failure; retry later
	PermError Result = "permerror" // the published record is broken
)

// Errors carried in Check.Err, compared with errors.Is. A *SyntaxError
// (errors.Is ErrSyntax) gives the position of a syntax error.
var (
	ErrNoRecord           = errors.New("spf: no SPF record")
	ErrInvalidDomain      = errors.New("spf: not a checkable domain name")
	ErrSyntax             = errors.New("spf: syntax error")
	ErrMultipleRecords    = errors.New("spf: more than one SPF record")
	ErrTooManyLookups     = errors.New("spf: more than 10 DNS-querying terms")
	ErrTooManyVoidLookups = errors.New("spf: more than 2 void lookups")
	ErrTooManyMX          = errors.New("spf: more than 10 MX names")
	ErrLoop               = errors.New("spf: include or redirect loop")
	ErrNoIncludeRecord    = errors.New("spf: included domain has no SPF record")
	ErrNoRedirectRecord   = errors.New("spf: redirect domain has no SPF record")
	ErrDNS                = errors.New("spf: DNS lookup failed")
	ErrMacro              = errors.New("spf: invalid macro expansion")
)

// CheckError is the Err of a Check: Err is the sentinel (ErrTooManyLookups,
// ErrDNS, a *SyntaxError, ...) and the other fields say where. It unwraps
// to Err and, for DNS failures, to the resolver's error too.
type CheckError struct {
	Err    error  // the cause: a sentinel of this package or a *SyntaxError
	Domain string // the domain whose record (or lookup) failed
	Term   string // the term being evaluated, as written, or ""
	Detail string // more: the DNS query type, the target domain, ...
	DNSErr error  // the resolver's error for ErrDNS
}

// Error returns the sentinel's message with the domain, term and detail.
func (e *CheckError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	switch {
	case e.DNSErr != nil:
		b.WriteString(": ")
		b.WriteString(e.Detail)
		b.WriteString(" ")
		b.WriteString(e.Domain)
		b.WriteString(": ")
		b.WriteString(e.DNSErr.Error())
		return b.String()
	case e.Term != "":
		b.WriteString(" (")
		b.WriteString(e.Term)
		if e.Detail != "" {
			b.WriteString(" -> ")
			b.WriteString(e.Detail)
		}
		b.WriteString(" in ")
		b.WriteString(e.Domain)
		b.WriteString(")")
	case e.Detail != "":
		b.WriteString(": ")
		b.WriteString(e.Detail)
	case e.Domain != "":
		b.WriteString(" at ")
		b.WriteString(e.Domain)
	}
	return b.String()
}

// Unwrap returns Err and, for DNS failures, the resolver's error.
func (e *CheckError) Unwrap() []error {
	if e.DNSErr != nil {
		return []error{e.Err, e.DNSErr}
	}
	return []error{e.Err}
}

// Options tunes a check. A nil *Options means the defaults of every field.
type Options struct {
	// Resolver answers the DNS queries. Nil means net.DefaultResolver.
	Resolver Resolver

	// HELO is the domain the client gave in HELO/EHLO, for the %{h}
	// macro. Empty means %{h} expands to "unknown".
	HELO string

	// Receiver is the checking host's domain name for %{r} in
	// explanations. Empty means "unknown".
	Receiver string

	// Now gives the time for %{t} in explanations. Nil means time.Now.
	Now func() time.Time

	// MaxLookups is the limit of DNS-querying terms (include, a, mx, ptr,
	// exists, redirect) per check. Zero means 10 (RFC 7208 section 4.6.4).
	MaxLookups int

	// MaxVoidLookups is the limit of lookups that find nothing. Zero
	// means 2 (RFC 7208 section 4.6.4); negative means no limit.
	MaxVoidLookups int

	// Trace records a readable account of the check, one line per step,
	// for Check.Trace (a diagnostic tool or a support screen). False (the
	// default) records nothing and builds no text.
	Trace bool
}

// Check is the outcome of one check_host() call.
type Check struct {
	Result Result `json:"result,omitempty"`

	// Explanation is the expanded exp= text when Result is Fail and the
	// record named one that could be fetched and expanded; else "".
	Explanation string `json:"explanation,omitempty"`

	// Domain is the domain checked and Sender the sender used for macros
	// (after the RFC 7208 section 4.3 substitutions).
	Domain string `json:"domain,omitempty"`
	Sender string `json:"sender,omitempty"`

	// IP is the client address checked.
	IP netip.Addr `json:"ip,omitempty"`

	// Identity is "mailfrom" or "helo" for CheckMailFrom and CheckHELO,
	// "" for CheckHost; HELO is Options.HELO.
	Identity string `json:"identity,omitempty"`
	HELO     string `json:"helo,omitempty"`

	// Receiver is Options.Receiver.
	Receiver string `json:"receiver,omitempty"`

	// Mechanism is the term that decided the result, as written
	// ("ip4:192.0.2.0/24", "-all"), "default" when nothing matched, or ""
	// when the check ended without evaluating (none, errors).
	Mechanism string `json:"mechanism,omitempty"`

	// MechanismDomain is the domain whose record holds Mechanism (an
	// included domain for a match inside an include).
	MechanismDomain string `json:"mechanism_domain,omitempty"`

	// Lookups is the number of DNS-querying terms evaluated, VoidLookups
	// the number of lookups that found nothing.
	Lookups     int `json:"lookups,omitempty"`
	VoidLookups int `json:"void_lookups,omitempty"`

	// Err says why Result is TempError or PermError (and, for None, why no
	// record was used); nil otherwise.
	Err error `json:"-"`

	// trace holds the lines of Trace, newline-separated; empty without
	// Options.Trace.
	trace string
}

// String returns a one-line summary ("pass (ip4:192.0.2.0/24 in
// example.com)").
func (c *Check) String() string {
	switch {
	case c.Err != nil:
		return fmt.Sprintf("%s (%v)", c.Result, c.Err)
	case c.Mechanism != "":
		return fmt.Sprintf("%s (%s in %s)", c.Result, c.Mechanism, c.MechanismDomain)
	}
	return string(c.Result)
}
