package spf_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/spf"
	"github.com/emersion/go-msgauth/authres"
)

func zone() *dnstest.Zone {
	z := dnstest.New()
	z.AddTXT("example.com", "v=spf1 mx include:_spf.provider.net -all exp=why.example.com")
	z.AddTXT("why.example.com", "%{i} may not send mail for %{d}")
	z.AddMX("example.com", 10, "mail.example.com")
	z.AddIP("mail.example.com", "192.0.2.10")
	z.AddTXT("_spf.provider.net", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 ~all")
	return z
}

func ExampleCheckMailFrom() {
	ctx := context.Background()
	opts := &spf.Options{Resolver: zone(), Receiver: "mx.helpdesk.example", Trace: true}

	c := spf.CheckMailFrom(ctx, netip.MustParseAddr("2001:db8:5::25"), "bounce@example.com", "out.provider.net", opts)
	fmt.Println(c.Result, c.Mechanism, c.Lookups)
	for _, line := range c.Trace() {
		fmt.Println(" ", line)
	}

	c = spf.CheckMailFrom(ctx, netip.MustParseAddr("203.0.113.9"), "bounce@example.com", "spammer.example", opts)
	fmt.Println(c.Result, "-", c.Explanation)
	// Output:
	// pass include:_spf.provider.net 2
	//   example.com: v=spf1 mx include:_spf.provider.net -all exp=why.example.com
	//   example.com: mx does not match
	//   example.com: include:_spf.provider.net -> _spf.provider.net
	//   _spf.provider.net: v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 ~all
	//   _spf.provider.net: ip4:198.51.100.0/24 does not match
	//   _spf.provider.net: ip6:2001:db8:5::/48 matches: pass
	//   example.com: include:_spf.provider.net matches: pass
	//   result: pass
	// fail - 203.0.113.9 may not send mail for example.com
}

func ExampleCheck_ReceivedSPF() {
	c := spf.CheckMailFrom(context.Background(), netip.MustParseAddr("192.0.2.10"), "bob@example.com", "mail.example.com",
		&spf.Options{Resolver: zone(), Receiver: "mx.helpdesk.example"})
	fmt.Println("Received-SPF: " + c.ReceivedSPF())
	fmt.Println("Authentication-Results: " + authres.Format("mx.helpdesk.example", []authres.Result{c.AuthResult()}))
	// Output:
	// Received-SPF: pass (mx.helpdesk.example: domain of bob@example.com designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=bob@example.com; helo=mail.example.com; receiver=mx.helpdesk.example; identity=mailfrom; mechanism=mx
	// Authentication-Results: mx.helpdesk.example; spf=pass reason="matched mx" smtp.helo=mail.example.com smtp.mailfrom=bob@example.com
}

func ExampleParse() {
	rec, err := spf.Parse("v=spf1 +MX a:mail.example.com/24 ip6:2001:DB8::/32 ~all")
	if err != nil {
		panic(err)
	}
	for _, t := range rec.Terms {
		fmt.Printf("%2d %-8s %c %q\n", t.Pos, t.Kind, t.Qualifier, t.Text)
	}
	fmt.Println(rec)

	_, err = spf.Parse("v=spf1 ip4:192.0.2.1/33 -all")
	fmt.Println(err)
	// Output:
	//  7 mx       + "+MX"
	// 11 a        + "a:mail.example.com/24"
	// 33 ip6      + "ip6:2001:DB8::/32"
	// 51 all      ~ "~all"
	// v=spf1 mx a:mail.example.com/24 ip6:2001:db8::/32 ~all
	// spf: syntax error at offset 20 in "ip4:192.0.2.1/33": invalid prefix length "/33"
}

func ExampleLint() {
	z := dnstest.New()
	z.AddTXT("example.org", "v=spf1 include:_spf.provider.net")
	z.AddTXT("example.org", "v=spf1 mx -all")
	rep, _ := spf.Lint(context.Background(), "example.org", &spf.LintOptions{Resolver: z})
	for _, p := range rep.Problems {
		fmt.Println(p.Code)
	}
	rep = spf.LintRecord(context.Background(), "v=spf1 ptr +all mx", &spf.LintOptions{NoFollow: true})
	for _, p := range rep.Problems {
		fmt.Println(p)
	}
	// Output:
	// multiple-records
	// warning (offset 7, "ptr"): the ptr mechanism is slow and unreliable and RFC 7208 5.5 says not to use it; list the addresses with ip4:/ip6: or a:
	// error (offset 11, "+all"): "+all" authorizes every host on the Internet; use "~all" or "-all"
	// warning (offset 16, "mx"): mx comes after "+all" and is never evaluated
}

func ExampleMerge() {
	m, err := spf.Merge(context.Background(), "v=spf1 mx -all", "_spf.provider.net", &spf.LintOptions{Resolver: zone()})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Record)
	fmt.Println("lookups:", m.Before, "->", m.Lookups)
	// Output:
	// v=spf1 mx include:_spf.provider.net -all
	// lookups: 1 -> 2
}

func ExampleAuthorizesInclude() {
	ctx := context.Background()
	opts := &spf.LintOptions{Resolver: zone()}
	a, _ := spf.AuthorizesInclude(ctx, "example.com", "_spf.provider.net", opts)
	fmt.Println(a.Authorized, a.Reason)
	a, _ = spf.AuthorizesInclude(ctx, "example.com", "_spf.other.net", opts)
	fmt.Println(a.Authorized, a.Reason)
	// Output:
	// true example.com authorizes _spf.provider.net: "include:_spf.provider.net" in example.com -> _spf.provider.net
	// false example.com's SPF record does not include _spf.other.net; add "include:_spf.other.net" before "all" (deskmail spf merge)
}

func ExampleCheckHost() {
	z := dnstest.New()
	z.AddTXT("example.org", "v=spf1 include:a.example.org include:b.example.org -all")
	z.AddTXT("a.example.org", "v=spf1 include:b.example.org ~all")
	z.AddTXT("b.example.org", "v=spf1 include:a.example.org ~all")

	c := spf.CheckHost(context.Background(), netip.MustParseAddr("192.0.2.1"), "example.org", "bob@example.org",
		&spf.Options{Resolver: z})
	fmt.Println(c.Result, errors.Is(c.Err, spf.ErrLoop))
	fmt.Println(c.Err)
	// Output:
	// permerror true
	// spf: include or redirect loop: example.org -> a.example.org -> b.example.org -> a.example.org
}

func ExampleAuthorizesIP() {
	a := spf.AuthorizesIP(context.Background(), "example.com", netip.MustParseAddr("198.51.100.20"), &spf.Options{Resolver: zone()})
	fmt.Println(a.Authorized, a.Reason)
	// Output:
	// true example.com authorizes 198.51.100.20: "include:_spf.provider.net" in example.com matches
}
