package spf

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dnstest"
)

func TestCheckHost(t *testing.T) {
	z := dnstest.New()
	z.AddTXT("loop.example", "v=spf1 include:loop2.example -all")
	z.AddTXT("loop2.example", "v=spf1 redirect=loop.example")
	z.AddTXT("v6.example", "v=spf1 ip6:2001:db8:1::/48 a//64 -all")
	z.AddIP("v6.example", "2001:db8:2::1")
	z.SetCNAME("alias.example", "v6.example")
	z.AddTXT("void.example", "v=spf1 a:n1.example mx:n2.example exists:n3.example -all")
	z.AddTXT("slow.example", "v=spf1 a:t.example -all")
	z.SetFault("t.example", dnstest.Timeout)
	z.AddTXT("twice.example", "v=spf1 include:v6.example include:v6.example -all")
	many := "v=spf1"
	for i := 0; i < 11; i++ {
		many += " a:h" + strconv.Itoa(i) + ".example"
		z.AddIP("h"+strconv.Itoa(i)+".example", "198.51.100.1")
	}
	z.AddTXT("many.example", many+" -all")

	ctx := context.Background()
	for _, tc := range []struct {
		name, domain, ip string
		want             Result
		err              error
		lookups          int
	}{
		{"D5/include-redirect loop", "loop.example", "192.0.2.1", PermError, ErrLoop, 2},
		{"D5/IPv6 CIDR", "v6.example", "2001:db8:1:ffff::1", Pass, nil, 0},
		{"D5/a with //64", "v6.example", "2001:db8:2::ffff", Pass, nil, 1},
		{"D5/outside both", "v6.example", "2001:db8:3::1", Fail, nil, 1},
		{"D5/IPv4 client vs ip6", "v6.example", "192.0.2.1", Fail, nil, 1},
		{"D5/CNAME to the record", "alias.example", "2001:db8:1::5", Pass, nil, 0},
		{"D5/third void lookup", "void.example", "192.0.2.1", PermError, ErrTooManyVoidLookups, 3},
		{"D5/timeout is temperror", "slow.example", "192.0.2.1", TempError, dnstest.ErrTimeout, 1},
		{"D5/11th lookup", "many.example", "192.0.2.1", PermError, ErrTooManyLookups, 11},
		{"D5/same include twice counts twice", "twice.example", "192.0.2.1", Fail, nil, 4},
		{"D5/no record", "none.example", "192.0.2.1", None, ErrNoRecord, 0},
		{"D5/invalid domain", "nodots", "192.0.2.1", None, ErrInvalidDomain, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := CheckHost(ctx, netip.MustParseAddr(tc.ip), tc.domain, "", &Options{Trace: true, Resolver: z})
			if c.Result != tc.want || c.Lookups != tc.lookups {
				t.Errorf("got %s with %d lookups (%v), want %s with %d\n%v", c.Result, c.Lookups, c.Err, tc.want, tc.lookups, c.Trace())
			}
			if tc.err != nil && !errors.Is(c.Err, tc.err) {
				t.Errorf("Err = %v, want %v", c.Err, tc.err)
			}
			if c.Sender != "postmaster@"+tc.domain {
				t.Errorf("Sender = %q", c.Sender)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if c := CheckHost(cctx, netip.MustParseAddr("192.0.2.1"), "v6.example", "a@v6.example", &Options{Trace: true, Resolver: z}); c.Result != TempError || !errors.Is(c.Err, context.Canceled) {
		t.Errorf("cancelled: %s %v", c.Result, c.Err)
	}
	c := CheckHELO(ctx, netip.MustParseAddr("2001:db8:1::1"), "v6.example", &Options{Trace: true, Resolver: z})
	if c.Result != Pass || c.Identity != "helo" || c.HELO != "v6.example" {
		t.Errorf("CheckHELO: %+v", c)
	}
	c = CheckHost(ctx, netip.MustParseAddr("::ffff:192.0.2.1"), "many.example", "x@many.example", &Options{Resolver: z, MaxLookups: 20})
	if c.Result != Fail || c.Lookups != 11 || c.Trace() != nil || !c.IP.Is4() {
		t.Errorf("MaxLookups 20 / no trace / mapped IP: %s %d %v %v", c.Result, c.Lookups, c.Trace(), c.IP)
	}
}

func TestTraceOneLinePerStep(t *testing.T) {
	z := dnstest.New()
	z.AddTXT("x.example", "v=spf1 ip4:192.0.2.5\n include:y.example -all")
	c := CheckHost(context.Background(), netip.MustParseAddr("192.0.2.5"), "x.example", "", &Options{Trace: true, Resolver: z})
	if len(c.Trace()) != 3 || c.Trace()[0] != `x.example: v=spf1 ip4:192.0.2.5\x0a include:y.example -all` || c.Trace()[2] != "result: permerror" {
		t.Errorf("trace = %q", c.Trace())
	}
}

// TestTraceLines checks the wording of trace steps the suites do not reach
// and that Trace renders the same lines on every call.
func TestTraceLines(t *testing.T) {
	z := dnstest.New()
	z.AddTXT("mx.example", "v=spf1 mx -all")
	z.AddMX("mx.example", 10, "bad.mx.example")
	z.SetFault("bad.mx.example", dnstest.ServFail)
	z.AddTXT("limit.example", "v=spf1 a:a1.example a:a2.example a:a3.example -all")
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.1")

	c := CheckHost(ctx, ip, "mx.example", "", &Options{Trace: true, Resolver: z})
	tr := c.Trace()
	if c.Result != TempError || len(tr) != 3 || !strings.HasPrefix(tr[1], "mx.example: mx: address lookup of bad.mx.example failed: ") ||
		!strings.HasSuffix(tr[1], ": temperror") || tr[2] != "result: temperror" {
		t.Errorf("MX address failure: %s %q", c.Result, tr)
	}
	if again := c.Trace(); strings.Join(again, "\n") != strings.Join(tr, "\n") {
		t.Errorf("second Trace() differs: %q", again)
	}

	c = CheckHost(ctx, ip, "limit.example", "", &Options{Trace: true, Resolver: z, MaxLookups: 2, MaxVoidLookups: 5})
	want := "limit.example: a:a3.example: lookup 3 exceeds the limit of 2: permerror"
	if tr := c.Trace(); c.Result != PermError || len(tr) < 2 || tr[len(tr)-2] != want {
		t.Errorf("lookup limit: %s %q", c.Result, tr)
	}
	c = CheckHost(ctx, ip, "limit.example", "", &Options{Trace: true, Resolver: z, MaxVoidLookups: 1})
	want = "limit.example: void lookup 2 (a:a2.example) exceeds the limit of 1: permerror"
	if tr := c.Trace(); c.Result != PermError || len(tr) < 2 || tr[len(tr)-2] != want {
		t.Errorf("void limit: %s %q", c.Result, tr)
	}
}
