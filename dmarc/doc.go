// Package dmarc evaluates Domain-based Message Authentication, Reporting
// and Conformance: record parsing, policy discovery, alignment and the
// policy a failing message gets.
//
// RFCs: 9989 (DMARC, with the DNS tree walk, psd=, np= and t=), 7489 (the
// original DMARC, public-suffix organizational domains, pct=, rf=, ri=),
// 8601 (result values). It depends on neither spf nor dkim: Evaluate takes
// their outcomes as RFC 8601 values, and package senderauth composes the
// methods into one verdict (and explains outbound setups).
//
// # Records
//
// Parse reads every tag of both RFCs — v p sp np adkim aspf pct t psd rua
// ruf fo rf ri — strictly: a bad value of a known tag, a duplicate tag or
// v= not first is a *SyntaxError naming the tag (errors.Is ErrSyntax).
// Unknown tags are ignored, as the RFCs require. Record.Warnings flags
// what parses but deserves a look (no p=, tags RFC 9989 removed, p=none
// without rua=).
//
// # Organizational domain and policy discovery
//
// In TreeWalk mode (the default, RFC 9989) the policy record is the first
// valid record found at _dmarc.DOMAIN and then at each parent (names of
// more than 8 labels jump to their last 7), and the organizational domain
// is found by the same walk: a psd=n record marks it, a psd=y record marks
// the domain one label below, else the record with the fewest labels. In
// PublicSuffix mode (RFC 7489) the organizational domain is the public
// suffix plus one label (golang.org/x/net/publicsuffix) and the policy is
// read at the domain, else at the organizational domain. Several records
// or an invalid record count as none, with a note in the reasons.
//
// # Evaluation
//
// Evaluate checks SPF and DKIM alignment (relaxed: same organizational
// domain; strict: the same domain) and returns the Outcome, the policy the
// domain asks for (p=, sp= for an existing subdomain, np= for a
// non-existent one) and the Disposition a receiver applies after pct=
// sampling (injectable through Options.Sample) and t=y (the next milder
// policy), with the reasons in sentences.
//
// Aligned answers the alignment question alone (relaxed or strict), for
// callers that weigh other evidence, such as a trusted ARC sealer's
// recorded results. A message without a usable From domain is a
// PermError.
//
// # Notable choices
//
//   - Both modes honour np=, t= and pct= when a record carries them; the
//     mode only changes how the organizational domain and the policy record
//     are found.
//   - A domain "does not exist" for np= when A, AAAA and MX all find
//     nothing; *net.Resolver cannot tell NXDOMAIN from NODATA, so a name
//     with only other records counts as non-existent.
//   - A passing DKIM signature of a t=y key counts for alignment.
//   - DNS goes through Resolver (TXT, A/AAAA and MX), so *net.Resolver
//     serves in production and dnstest.Zone in tests.
package dmarc
