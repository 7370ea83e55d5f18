package spf

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dnstest"
	"github.com/emersion/go-msgauth/authres"
)

func toolZone() *dnstest.Zone {
	z := dnstest.New()
	z.AddTXT("example.com", "v=spf1 mx include:_spf.provider.net -all")
	z.AddMX("example.com", 10, "mail.example.com")
	z.AddIP("mail.example.com", "192.0.2.10")
	z.AddTXT("_spf.provider.net", "v=spf1 ip4:198.51.100.0/24 include:_b.provider.net ~all")
	z.AddTXT("_b.provider.net", "v=spf1 ip6:2001:db8::/32 ~all")
	z.AddTXT("two.example", "v=spf1 -all", "v=spf1 mx -all")
	z.AddTXT("loop.example", "v=spf1 include:loop2.example -all")
	z.AddTXT("loop2.example", "v=spf1 include:loop.example -all")
	z.AddTXTStrings("split.example", "v=spf1 include:_spf.provider.net", "ip4:192.0.2.1 -all")
	z.AddTXT("void.example", "v=spf1 a:nx1.example a:nx2.example mx:nx3.example -all")
	z.AddTXT("manymx.example", "v=spf1 mx -all")
	for i := 0; i < 11; i++ {
		z.AddMX("manymx.example", uint16(i), "mx"+string(rune('a'+i))+".example")
	}
	deep := "v=spf1"
	for i := 0; i < 11; i++ {
		n := "d" + string(rune('a'+i)) + ".example"
		z.AddTXT(n, "v=spf1 -all")
		deep += " include:" + n
	}
	z.AddTXT("deep.example", deep+" -all")
	z.AddTXT("after.example", "v=spf1 +all include:_spf.provider.net redirect=_spf.provider.net")
	z.AddTXT("soft.example", "v=spf1 ?include:_spf.provider.net -all")
	z.AddTXT("syntax.example", "v=spf1 ip4:192.0.2.300 -all")
	return z
}

func codes(r *LintReport) string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Code)
	}
	return strings.Join(out, ",")
}

func TestLint(t *testing.T) {
	ctx := context.Background()
	opts := &LintOptions{Resolver: toolZone()}
	for _, tc := range []struct {
		name, domain string
		want         []string // codes that must appear
		lookups      int
		errs         bool
	}{
		{"D2/clean record", "example.com", nil, 3, false},
		{"D2/several SPF records", "two.example", []string{"multiple-records"}, 0, true},
		{"D2/no record", "nx.example", []string{"no-record"}, 0, true},
		{"D2/include loop", "loop.example", []string{"loop"}, 2, true},
		{"D2/255-char split glues two terms", "split.example", []string{"split-glues-terms", "syntax"}, 0, true},
		{"D2/void lookups", "void.example", []string{"void-lookup", "void-lookups"}, 3, true},
		{"D2/more than 10 MX names", "manymx.example", []string{"too-many-mx"}, 1, true},
		{"D2/too many lookups", "deep.example", []string{"too-many-lookups"}, 11, true},
		{"D2/+all, terms after all, redirect with all", "after.example", []string{"pass-all", "after-all", "redirect-with-all"}, 0, true},
		{"D2/syntax error with position", "syntax.example", []string{"syntax"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Lint(ctx, tc.domain, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := codes(r)
			for _, w := range tc.want {
				if !strings.Contains(","+got+",", ","+w+",") {
					t.Errorf("codes %q lack %q: %v", got, w, r.Problems)
				}
			}
			if tc.want == nil && got != "" {
				t.Errorf("unexpected problems: %v", r.Problems)
			}
			if r.Lookups != tc.lookups {
				t.Errorf("Lookups = %d, want %d (%v)", r.Lookups, tc.lookups, r.Includes)
			}
			if r.HasErrors() != tc.errs {
				t.Errorf("HasErrors = %v", r.HasErrors())
			}
		})
	}
	r, _ := Lint(ctx, "syntax.example", opts)
	if p := r.Problems[0]; p.Pos != 11 || p.Term != "ip4:192.0.2.300" {
		t.Errorf("syntax problem position: %+v", p)
	}
	r, _ = Lint(ctx, "example.com", opts)
	if strings.Join(r.WorstPath, ">") != "example.com>_spf.provider.net>_b.provider.net" {
		t.Errorf("WorstPath = %v", r.WorstPath)
	}
	if len(r.Includes) != 2 || r.Includes[0].Lookups != 2 {
		t.Errorf("Includes = %+v", r.Includes)
	}
	r = LintRecord(ctx, "v=spf1 ptr ?all", &LintOptions{NoFollow: true})
	if codes(r) != "ptr,neutral-all" {
		t.Errorf("ptr/?all: %q", codes(r))
	}
	r = LintRecord(ctx, "v=spf1 mx", &LintOptions{NoFollow: true})
	if codes(r) != "no-all" {
		t.Errorf("no all: %q", codes(r))
	}
	r = LintRecord(ctx, "v=spf1 "+strings.Repeat("ip4:192.0.2.1 ", 35)+"-all", &LintOptions{NoFollow: true})
	if codes(r) != "record-too-long" {
		t.Errorf("length: %q", codes(r))
	}
}

func TestMerge(t *testing.T) {
	ctx := context.Background()
	opts := &LintOptions{Resolver: toolZone()}
	for _, tc := range []struct {
		name, in, inc, want string
		lookups             int
	}{
		{"D1/before all", "v=spf1 mx -all", "_spf.provider.net", "v=spf1 mx include:_spf.provider.net -all", 3},
		{"D1/before redirect", "v=spf1 a redirect=example.com", "_b.provider.net", "v=spf1 a include:_b.provider.net redirect=example.com", 6},
		{"D1/at the end", "v=spf1 a", "_b.provider.net", "v=spf1 a include:_b.provider.net", 2},
		{"D1/empty record", "", "_b.provider.net", "v=spf1 include:_b.provider.net ~all", 1},
		{"D1/already included", "v=spf1 include:_B.provider.net. ~all", "_b.provider.net", "v=spf1 include:_B.provider.net. ~all", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Merge(ctx, tc.in, tc.inc, opts)
			if err != nil {
				t.Fatal(err)
			}
			if m.Record != tc.want || m.Lookups != tc.lookups {
				t.Errorf("got %q (%d lookups), want %q (%d)", m.Record, m.Lookups, tc.want, tc.lookups)
			}
		})
	}
	if _, err := Merge(ctx, "v=spf1 foo", "x.example", opts); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad record: %v", err)
	}
	if _, err := Merge(ctx, "v=spf1 -all", "bad domain", opts); err == nil {
		t.Error("bad include accepted")
	}
}

func TestAuthorizes(t *testing.T) {
	ctx := context.Background()
	z := toolZone()
	opts := &LintOptions{Resolver: z}
	for _, tc := range []struct {
		name, domain, provider string
		ok                     bool
		reason                 string
	}{
		{"D1/direct include", "example.com", "_spf.provider.net", true, `"include:_spf.provider.net" in example.com -> _spf.provider.net`},
		{"D1/nested include", "example.com", "_b.provider.net", true, "example.com -> _spf.provider.net -> _b.provider.net"},
		{"D2/missing include", "example.com", "other.net", false, "does not include other.net"},
		{"D2/several records", "two.example", "x.net", false, "broken"},
		{"D2/no record", "nx.example", "x.net", false, "publishes no SPF record"},
		{"D2/neutral qualifier", "soft.example", "_spf.provider.net", false, "not pass"},
		{"D2/too many lookups", "deep.example", "da.example", false, "permerror above 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := AuthorizesInclude(ctx, tc.domain, tc.provider, opts)
			if err != nil {
				t.Fatal(err)
			}
			if a.Authorized != tc.ok || !strings.Contains(a.Reason, tc.reason) {
				t.Errorf("got %v %q, want %v ~%q", a.Authorized, a.Reason, tc.ok, tc.reason)
			}
		})
	}
	a := AuthorizesIP(ctx, "example.com", netip.MustParseAddr("198.51.100.7"), &Options{Resolver: z})
	if !a.Authorized || !strings.Contains(a.Reason, "include:_spf.provider.net") {
		t.Errorf("IP: %+v", a)
	}
	a = AuthorizesIP(ctx, "example.com", netip.MustParseAddr("203.0.113.1"), &Options{Resolver: z})
	if a.Authorized || !strings.Contains(a.Reason, `"-all"`) {
		t.Errorf("IP not authorized: %+v", a)
	}
}

func TestHeaders(t *testing.T) {
	z := toolZone()
	c := CheckMailFrom(context.Background(), netip.MustParseAddr("192.0.2.10"), "bob@example.com", "mail.example.com",
		&Options{Resolver: z, Receiver: "mx.deskmail.test"})
	want := "pass (mx.deskmail.test: domain of bob@example.com designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=bob@example.com; helo=mail.example.com; receiver=mx.deskmail.test; identity=mailfrom; mechanism=mx"
	if got := c.ReceivedSPF(); got != want {
		t.Errorf("ReceivedSPF:\n got %s\nwant %s", got, want)
	}
	ar := authres.Format("mx.deskmail.test", []authres.Result{c.AuthResult()})
	if ar != "mx.deskmail.test; spf=pass reason=\"matched mx\" smtp.helo=mail.example.com smtp.mailfrom=bob@example.com" {
		t.Errorf("Authentication-Results: %s", ar)
	}
	c = CheckMailFrom(context.Background(), netip.MustParseAddr("192.0.2.10"), "bob@two.example", "h.example", &Options{Resolver: z})
	if got := c.ReceivedSPF(); !strings.Contains(got, "problem=\"spf: more than one SPF record at two.example\"") || !strings.HasPrefix(got, "permerror") {
		t.Errorf("permerror header: %s", got)
	}
	if !errors.Is(c.Err, ErrMultipleRecords) {
		t.Errorf("Err = %v", c.Err)
	}
}

// dnstestZone is a small zone for fuzzing check_host.
func dnstestZone() *dnstest.Zone {
	z := dnstest.New()
	z.AddIP("example.com", "192.0.2.1", "2001:db8::1")
	z.AddMX("example.com", 10, "mx.example.com")
	z.AddIP("mx.example.com", "192.0.2.2")
	z.AddPTR("192.0.2.1", "example.com")
	z.AddTXT("user.example.com", "v=spf1 include:example.com ~all")
	z.SetFault("slow.example.com", dnstest.Timeout)
	return z
}
