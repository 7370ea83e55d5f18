// Package dnstest is an in-memory DNS zone for tests of code that resolves
// names through methods shaped like *net.Resolver's.
//
// A *Zone answers the lookups sender authentication needs — TXT, A/AAAA,
// MX, PTR and CNAME — follows CNAME chains (and reports loops), and can
// simulate timeouts and server failures per name and record type. It counts
// the lookups it answers, so a test can assert lookup limits.
//
//	z := dnstest.New()
//	z.AddTXT("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
//	z.AddIP("mail.example.com", "192.0.2.10", "2001:db8::10")
//	z.AddMX("example.com", 10, "mail.example.com")
//	z.SetFault("slow.example.com", dnstest.TypeTXT, dnstest.Timeout)
//	txt, err := z.LookupTXT(ctx, "example.com")
//
// # Errors
//
// Failures are *net.DNSError values, as *net.Resolver returns them, so code
// written against *net.Resolver branches the same way:
//
//   - a name that does not exist (NXDOMAIN) and a name without records of
//     the asked type (NODATA) both give IsNotFound, Err "no such host";
//     errors.Is(err, ErrNXDomain) or errors.Is(err, ErrNoData) tells them
//     apart (the real resolver cannot);
//   - a simulated timeout gives IsTimeout and IsTemporary, Err "i/o
//     timeout", and errors.Is(err, ErrTimeout);
//   - a simulated server failure gives IsTemporary, Err "server
//     misbehaving", and errors.Is(err, ErrServFail);
//   - a CNAME loop gives a server failure too;
//   - a cancelled context returns the context's error wrapped the same way.
//
// # TXT strings
//
// A TXT record is a list of character strings of up to 255 bytes each.
// LookupTXT, like *net.Resolver's, concatenates the strings of one record;
// LookupTXTStrings returns them unjoined, for linters that need to see where
// a publisher split a long record.
//
// # Names
//
// Names are case-insensitive, a trailing dot is optional on input, and
// names returned (MX hosts, PTR names, CNAME targets) carry the trailing dot
// as *net.Resolver returns them. Names that are not valid DNS names (a label
// longer than 63 octets, an empty label, more than 253 octets) are not
// found, as with *net.Resolver.
//
// # Zonedata
//
// ParseZonedata and FromZonedata load the "zonedata" mapping of the
// openspf.org RFC 7208/4408 test suites: each name maps to a list of
// records such as {TXT: text}, {SPF: [string, string]}, {A: 192.0.2.1},
// {MX: [10, mx.example.com]}, {PTR: name}, {CNAME: name}, the word TIMEOUT,
// or {TXT: NONE}. The suites' driver semantics are kept: SPF records are
// also served as TXT unless the name has a TXT entry (NONE included), NONE
// publishes nothing, and TIMEOUT makes every type that has no record listed
// before it time out. The format is YAML, so this package depends on
// gopkg.in/yaml.v3: the suites and the deskmail CLI's -zone files are
// written in it.
//
// # Concurrency
//
// A Zone is safe for concurrent use; records can be changed while lookups
// run. The query counters are updated atomically.
package dnstest
