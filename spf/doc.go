// Package spf evaluates and maintains Sender Policy Framework records
// (RFC 7208): check_host() with a readable trace, and the record tooling
// a helpdesk needs to help customers publish SPF correctly.
//
// # Checking
//
// CheckHost runs check_host() for a client IP, a domain and a sender;
// CheckMailFrom and CheckHELO apply the identity rules of RFC 7208
// section 2 (an empty MAIL FROM checks postmaster@HELO). Every mechanism
// and modifier is implemented — all, include, a, mx, ptr, ip4, ip6,
// exists, redirect=, exp= — with macros (section 7, including %{p} and
// the explanation-only %{c}, %{r}, %{t}), the 10-lookup and 2-void-lookup
// limits (section 4.6.4), more than 10 MX names as permerror, include and
// redirect loops (reported as ErrLoop before the lookup limit would catch
// them), CNAMEs (followed by the resolver), IPv6 CIDRs and IPv4-mapped
// client addresses.
//
// The result is a *Check: the Result, the expanded exp= Explanation on
// fail, the deciding Mechanism, the lookup counts, with Options.Trace a
// readable trace (Check.Trace, one line per step) and, for temperror and
// permerror (and none), an Err. Err is a *CheckError naming the domain and
// term; branch
// on it with errors.Is: ErrTooManyLookups, ErrTooManyVoidLookups,
// ErrMultipleRecords, ErrLoop, ErrNoIncludeRecord, ErrDNS (which also
// unwraps to the resolver's *net.DNSError), ErrSyntax (errors.As gives the
// *SyntaxError with the offset), ErrNoRecord, ErrInvalidDomain.
//
// The package passes the openspf.org suites: 203 of 203 tests of
// rfc7208-tests.yml, with the expected explanation in all of the 14 tests
// that name one, and 191 of 191 of rfc4408-tests.yml, where RFC 7208's
// answer is taken for the 12 tests whose answer RFC 7208 changed (listed
// in suite_test.go). On the RFC 7208 suite it agrees test by test with the
// reference implementation, pyspf 2.0.14 (interop_test.go, run when
// Debian's python3-spf is installed).
//
// Every function is safe for concurrent use when the Resolver is; a check
// keeps no state after it returns.
//
// # DNS
//
// DNS goes through Resolver, the subset of *net.Resolver's methods
// check_host() needs; nil Options.Resolver means net.DefaultResolver. In
// tests use dnstest.Zone. A *net.DNSError with IsNotFound is a void lookup;
// every other error is a temperror. Parsed records are cached only within
// one check (an include named twice is fetched once, though it counts
// twice towards the lookup limit, as RFC 7208 counts terms).
//
// # Notable choices
//
//   - %{i} of an IPv6 client uses upper-case nibbles, as the reference
//     implementation (pyspf) and the suite's explanations do.
//   - A failed PTR lookup in ptr does not match (section 5.5); a PTR
//     lookup that finds nothing counts as a void lookup.
//   - Address lookups of MX names that find nothing are not void lookups;
//     other failures of them are temperror.
//   - The exp= lookup does not count towards either limit, nor do the
//     PTR and address lookups of %{p} (at most 10 names, done once per
//     check).
//   - A record is parsed completely before evaluation: a syntax error
//     anywhere gives permerror even if an earlier mechanism would match.
//
// # Bounds
//
// A check makes at most MaxLookups (10) DNS-querying terms and
// MaxVoidLookups (2) lookups that find nothing, reads at most 10 MX names
// per mx and 10 PTR names per ptr or %{p}, and expands a domain-spec to at
// most 253 bytes (longer ones are cut from the left, RFC 7208 section
// 7.3); an include or redirect loop stops at once. Parse reads a record
// of any length but each TXT record is at most what DNS carries.
//
// # Cost
//
// Records are parsed by hand into one slice of terms whose strings point
// into the record text; there are no regular expressions, macros are
// expanded only where a '%' appears, and errors are formatted only when
// read. Without Options.Trace a check records no trace at all; with it,
// each step writes its line as it happens. A check allocates the Check,
// the parsed records and little else; the Options are not retained. Over
// the RFC 7208 suite a check uses less CPU time than
// blitiri.com.ar/go/spf, with and without a trace (figures in the bench
// module).
//
// # Records
//
// Parse returns a *Record with each Term's byte offset, and Record.String
// serializes it canonically. Lint reports the problems a publisher should
// fix; Merge adds an include: before "all" and reports the new lookup
// count; Authorizes says whether a domain's SPF authorizes a provider
// or an IP, and why.
//
// # Headers
//
// Check.ReceivedSPF gives a Received-SPF header value (RFC 7208 section
// 9.1) and Check.AuthResult an Authentication-Results entry for
// github.com/emersion/go-msgauth/authres.
package spf
