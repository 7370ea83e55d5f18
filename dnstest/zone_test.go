package dnstest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
)

func dnsErr(t *testing.T, err error) *net.DNSError {
	t.Helper()
	var de *net.DNSError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *net.DNSError", err, err)
	}
	return de
}

func TestLookups(t *testing.T) {
	ctx := context.Background()
	z := New()
	z.AddTXT("Example.COM.", "v=spf1 -all", "other")
	z.AddTXTStrings("split.example.com", "v=spf1 ip4:192.0.2.1", " -all")
	z.AddIP("mail.example.com", "192.0.2.1", "2001:db8::1")
	z.AddMX("example.com", 20, "b.example.com")
	z.AddMX("example.com", 10, "mail.example.com")
	z.AddPTR("192.0.2.1", "mail.example.com")
	z.AddPTR("2001:db8::1", "mail6.example.com.")
	z.SetCNAME("alias.example.com", "example.com")

	txt, err := z.LookupTXT(ctx, "example.com")
	if err != nil || len(txt) != 2 || txt[0] != "v=spf1 -all" {
		t.Fatalf("LookupTXT = %q, %v", txt, err)
	}
	txt, _ = z.LookupTXT(ctx, "split.example.com")
	if len(txt) != 1 || txt[0] != "v=spf1 ip4:192.0.2.1 -all" {
		t.Errorf("split TXT joined = %q", txt)
	}
	raw, _ := z.LookupTXTStrings(ctx, "split.example.com")
	if len(raw) != 1 || len(raw[0]) != 2 {
		t.Errorf("raw strings = %q", raw)
	}
	txt, err = z.LookupTXT(ctx, "ALIAS.example.com")
	if err != nil || len(txt) != 2 {
		t.Errorf("CNAME chase: %q, %v", txt, err)
	}
	if c, err := z.LookupCNAME(ctx, "alias.example.com"); c != "example.com." || err != nil {
		t.Errorf("LookupCNAME = %q, %v", c, err)
	}
	ips, err := z.LookupNetIP(ctx, "ip", "mail.example.com")
	if err != nil || len(ips) != 2 || !ips[0].Is4() || !ips[1].Is6() {
		t.Errorf("LookupNetIP ip = %v, %v", ips, err)
	}
	ips, _ = z.LookupNetIP(ctx, "ip6", "mail.example.com")
	if len(ips) != 1 || ips[0] != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("LookupNetIP ip6 = %v", ips)
	}
	ipa, err := z.LookupIPAddr(ctx, "mail.example.com")
	if err != nil || len(ipa) != 2 {
		t.Errorf("LookupIPAddr = %v, %v", ipa, err)
	}
	mx, err := z.LookupMX(ctx, "example.com")
	if err != nil || len(mx) != 2 || mx[0].Host != "mail.example.com." || mx[0].Pref != 10 {
		t.Errorf("LookupMX = %v, %v", mx, err)
	}
	names, err := z.LookupAddr(ctx, "192.0.2.1")
	if err != nil || len(names) != 1 || names[0] != "mail.example.com." {
		t.Errorf("LookupAddr = %q, %v", names, err)
	}
	names, _ = z.LookupAddr(ctx, "2001:db8::1")
	if len(names) != 1 || names[0] != "mail6.example.com." {
		t.Errorf("LookupAddr v6 = %q", names)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	z := New()
	z.AddIP("a.example.com", "192.0.2.1")
	z.SetFault("slow.example.com", Timeout)
	z.SetFault("a.example.com", ServFail, TypeTXT)
	z.SetCNAME("loop1.example.com", "loop2.example.com")
	z.SetCNAME("loop2.example.com", "loop1.example.com")

	_, err := z.LookupTXT(ctx, "nx.example.com")
	de := dnsErr(t, err)
	if !de.IsNotFound || de.IsTemporary || !errors.Is(err, ErrNXDomain) || de.Err != "no such host" {
		t.Errorf("NXDOMAIN: %+v", de)
	}
	_, err = z.LookupMX(ctx, "a.example.com")
	de = dnsErr(t, err)
	if !de.IsNotFound || !errors.Is(err, ErrNoData) || errors.Is(err, ErrNXDomain) {
		t.Errorf("NODATA: %+v", de)
	}
	_, err = z.LookupTXT(ctx, "slow.example.com")
	de = dnsErr(t, err)
	if !de.IsTimeout || !de.IsTemporary || !errors.Is(err, ErrTimeout) {
		t.Errorf("timeout: %+v", de)
	}
	_, err = z.LookupTXT(ctx, "a.example.com")
	de = dnsErr(t, err)
	if de.IsTimeout || !de.IsTemporary || !errors.Is(err, ErrServFail) {
		t.Errorf("servfail: %+v", de)
	}
	if _, err := z.LookupNetIP(ctx, "ip4", "a.example.com"); err != nil {
		t.Errorf("A unaffected by TXT fault: %v", err)
	}
	_, err = z.LookupTXT(ctx, "loop1.example.com")
	if de = dnsErr(t, err); !de.IsTemporary {
		t.Errorf("CNAME loop: %+v", de)
	}
	_, err = z.LookupTXT(ctx, "a.b..example.com")
	if de = dnsErr(t, err); !de.IsNotFound {
		t.Errorf("invalid name: %+v", de)
	}
	_, err = z.LookupTXT(ctx, strings.Repeat("a", 64)+".example.com")
	if de = dnsErr(t, err); !de.IsNotFound {
		t.Errorf("long label: %+v", de)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = z.LookupTXT(cctx, "a.example.com")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

func TestQueryCounter(t *testing.T) {
	ctx := context.Background()
	z := New()
	z.AddTXT("example.com", "x")
	z.LookupTXT(ctx, "example.com")
	z.LookupTXT(ctx, "nx.example.com")
	z.LookupIPAddr(ctx, "example.com")
	if z.Queries() != 4 || z.QueriesOf(TypeTXT) != 2 || z.QueriesOf(TypeAAAA) != 1 {
		t.Errorf("Queries = %d, TXT %d, AAAA %d", z.Queries(), z.QueriesOf(TypeTXT), z.QueriesOf(TypeAAAA))
	}
	z.ResetQueries()
	if z.Queries() != 0 {
		t.Errorf("after reset: %d", z.Queries())
	}
}

func TestConcurrent(t *testing.T) {
	z := New()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); z.AddTXT("example.com", "x") }()
		go func() { defer wg.Done(); z.LookupTXT(context.Background(), "example.com") }()
	}
	wg.Wait()
}

func TestZonedata(t *testing.T) {
	ctx := context.Background()
	z, err := ParseZonedata([]byte(`
spfonly.example.net:
  - SPF:  v=spf1 -all
  - TXT:  NONE
txtonly.example.net:
  - TXT:  v=spf1 -all
both.example.net:
  - SPF:  v=spf1 +all
  - TXT:  v=spf1 -all
gen.example.net:
  - SPF:  v=spf1 ?all
null.example.com:
  - SPF: [ "v=spf1 ip4:", "192.0.2.5 -all" ]
  - SPF: [ ]
spftimeout.example.net:
  - TXT:  v=spf1 -all
  - TIMEOUT
txttimeout.example.net:
  - SPF:  v=spf1 -all
  - TXT:  NONE
  - TIMEOUT
mx.example.com:
  - MX: [10, mail.example.com]
  - A: 192.0.2.1
  - AAAA: "2001:db8::1"
4.3.2.1.in-addr.arpa:
  - PTR: mx.example.com
cname.example.com:
  - CNAME: mx.example.com.
`))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, want []string, wantErr func(*net.DNSError) bool) {
		t.Helper()
		got, err := z.LookupTXT(ctx, name)
		if wantErr != nil {
			if err == nil || !wantErr(dnsErr(t, err)) {
				t.Errorf("%s: err %v", name, err)
			}
			return
		}
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: got %q, %v; want %q", name, got, err, want)
		}
	}
	notFound := func(e *net.DNSError) bool { return e.IsNotFound }
	timeout := func(e *net.DNSError) bool { return e.IsTimeout }
	check("spfonly.example.net", nil, notFound)
	check("txtonly.example.net", []string{"v=spf1 -all"}, nil)
	check("both.example.net", []string{"v=spf1 -all"}, nil)
	check("gen.example.net", []string{"v=spf1 ?all"}, nil)
	check("null.example.com", []string{"v=spf1 ip4:192.0.2.5 -all", ""}, nil)
	check("spftimeout.example.net", []string{"v=spf1 -all"}, nil)
	check("txttimeout.example.net", nil, timeout)
	if _, err := z.LookupMX(ctx, "spftimeout.example.net"); !dnsErr(t, err).IsTimeout {
		t.Errorf("MX after TIMEOUT: %v", err)
	}
	mx, err := z.LookupMX(ctx, "cname.example.com")
	if err != nil || len(mx) != 1 || mx[0].Host != "mail.example.com." {
		t.Errorf("MX via CNAME = %v, %v", mx, err)
	}
	names, err := z.LookupAddr(ctx, "1.2.3.4")
	if err != nil || len(names) != 1 {
		t.Errorf("PTR = %q, %v", names, err)
	}
	if _, err := ParseZonedata([]byte("x: [ {BOGUS: 1} ]")); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestLoadSuiteFile(t *testing.T) {
	// The spf package runs the full suites; this only checks that the
	// zonedata of a suite-shaped file loads.
	data, err := os.ReadFile("testdata/zone.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseZonedata(data); err != nil {
		t.Fatal(err)
	}
}
