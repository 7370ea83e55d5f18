package dmarc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/dnstest"
)

func TestOrgDomain(t *testing.T) {
	z := dnstest.New()
	z.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject")
	z.AddTXT("_dmarc.bank", "v=DMARC1; p=reject; psd=y")
	z.AddTXT("_dmarc.dept.example.org", "v=DMARC1; p=none; psd=n")
	z.AddTXT("_dmarc.example.org", "v=DMARC1; p=reject")
	z.AddTXT("_dmarc.a.b.c.d.e.f.g.h.i.example.net", "v=DMARC1; p=none") // skipped by the 8-label shortcut
	z.AddTXT("_dmarc.example.net", "v=DMARC1; p=none")
	tests := []struct {
		mode       dmarc.Mode
		domain     string
		want       string
		maxQueries int
	}{
		{dmarc.TreeWalk, "mail.support.example.com", "example.com", 0},
		{dmarc.TreeWalk, "example.com", "example.com", 0},
		{dmarc.TreeWalk, "mail.acme.bank", "acme.bank", 0},
		{dmarc.TreeWalk, "x.dept.example.org", "dept.example.org", 0},
		{dmarc.TreeWalk, "nothing.example", "nothing.example", 0},
		{dmarc.TreeWalk, "z.y.x.a.b.c.d.e.f.g.h.i.example.net", "example.net", 8},
		{dmarc.PublicSuffix, "mail.support.example.co.uk", "example.co.uk", 0},
		{dmarc.PublicSuffix, "mail.acme.bank", "acme.bank", 0},
		{dmarc.PublicSuffix, "x.dept.example.org", "example.org", 0},
	}
	for _, tt := range tests {
		t.Run("D6/"+tt.mode.String()+"/"+tt.domain, func(t *testing.T) {
			z.ResetQueries()
			got, err := dmarc.OrgDomain(context.Background(), tt.domain, &dmarc.Options{Resolver: z, Mode: tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("org domain %q, want %q", got, tt.want)
			}
			if tt.maxQueries > 0 && z.Queries() > tt.maxQueries {
				t.Errorf("%d queries, want at most %d", z.Queries(), tt.maxQueries)
			}
		})
	}
	t.Run("D6/temperror", func(t *testing.T) {
		zz := dnstest.New()
		zz.SetFault("_dmarc.example.com", dnstest.Timeout)
		_, err := dmarc.OrgDomain(context.Background(), "a.example.com", &dmarc.Options{Resolver: zz})
		if err == nil || !strings.Contains(err.Error(), "temporary") {
			t.Fatalf("err = %v", err)
		}
	})
}

func pass(d string) []dmarc.DKIMResult {
	return []dmarc.DKIMResult{{Result: authres.ResultPass, Domain: d, Selector: "s1"}}
}

func TestEvaluate(t *testing.T) {
	z := dnstest.New()
	z.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com")
	z.AddIP("shop.example.com", "192.0.2.1")
	z.AddTXT("_dmarc.strict.example", "v=DMARC1; p=reject; adkim=s; aspf=s")
	z.AddTXT("_dmarc.sampled.example", "v=DMARC1; p=reject; pct=25")
	z.AddTXT("_dmarc.testing.example", "v=DMARC1; p=quarantine; t=y")
	z.AddTXT("_dmarc.monitor.example", "v=DMARC1; p=none; rua=mailto:r@monitor.example")
	z.AddTXT("_dmarc.broken.example", "v=DMARC1; p=bogus")
	z.SetFault("_dmarc.flaky.example", dnstest.ServFail)
	never := func(int) bool { return false }
	always := func(int) bool { return true }
	tests := []struct {
		name        string
		in          dmarc.Input
		sample      func(int) bool
		want        dmarc.Outcome
		policy      dmarc.Policy
		tag         string
		disposition dmarc.Policy
		reason      string
	}{
		{"D4/aligned SPF passes", dmarc.Input{FromDomain: "example.com", SPFDomain: "bounce.example.com", SPFResult: authres.ResultPass}, nil, dmarc.Pass, "", "", "none", "aligned with example.com (relaxed)"},
		{"D4/aligned DKIM passes", dmarc.Input{FromDomain: "example.com", SPFDomain: "platform.example", SPFResult: authres.ResultPass, DKIM: pass("example.com")}, nil, dmarc.Pass, "", "", "none", "not aligned"},
		{"D4/unaligned SPF and DKIM fail with p=reject", dmarc.Input{FromDomain: "example.com", SPFDomain: "platform.example", SPFResult: authres.ResultPass, DKIM: pass("platform.example")}, nil, dmarc.Fail, "reject", "p", "reject", "asks for p=reject"},
		{"D4/failing DKIM does not count", dmarc.Input{FromDomain: "example.com", DKIM: []dmarc.DKIMResult{{Result: authres.ResultFail, Domain: "example.com"}}}, nil, dmarc.Fail, "reject", "p", "reject", "is fail"},
		{"D6/sp for an existing subdomain", dmarc.Input{FromDomain: "shop.example.com", SPFResult: authres.ResultFail, SPFDomain: "shop.example.com"}, nil, dmarc.Fail, "quarantine", "sp", "quarantine", ""},
		{"D6/np for a non-existent subdomain", dmarc.Input{FromDomain: "ghost.example.com"}, nil, dmarc.Fail, "reject", "np", "reject", ""},
		{"D6/strict DKIM alignment", dmarc.Input{FromDomain: "strict.example", DKIM: pass("mail.strict.example")}, nil, dmarc.Fail, "reject", "p", "reject", "strict alignment"},
		{"D6/strict exact match passes", dmarc.Input{FromDomain: "strict.example", DKIM: pass("strict.example")}, nil, dmarc.Pass, "", "", "none", ""},
		{"D6/pct sampled out lowers the policy", dmarc.Input{FromDomain: "sampled.example"}, never, dmarc.Fail, "reject", "p", "quarantine", "outside the sampled share"},
		{"D6/pct sampled in applies it", dmarc.Input{FromDomain: "sampled.example"}, always, dmarc.Fail, "reject", "p", "reject", "in the sampled share"},
		{"D6/t=y applies the next milder policy", dmarc.Input{FromDomain: "testing.example"}, nil, dmarc.Fail, "quarantine", "p", "none", "t=y"},
		{"D4/p=none monitors", dmarc.Input{FromDomain: "monitor.example"}, nil, dmarc.Fail, "none", "p", "none", ""},
		{"D4/no record is none", dmarc.Input{FromDomain: "nodmarc.example", SPFResult: authres.ResultPass, SPFDomain: "nodmarc.example"}, nil, dmarc.None, "", "", "none", "no DMARC record"},
		{"D6/invalid record is none", dmarc.Input{FromDomain: "broken.example"}, nil, dmarc.None, "", "", "none", "invalid and ignored"},
		{"D4/DNS failure is temperror", dmarc.Input{FromDomain: "flaky.example"}, nil, dmarc.TempError, "", "", "none", "DNS failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			r := dmarc.Evaluate(context.Background(), &in, &dmarc.Options{Resolver: z, Sample: tt.sample})
			if r.Outcome != tt.want || r.Policy != tt.policy || r.PolicyTag != tt.tag || r.Disposition != tt.disposition {
				t.Errorf("got %s %s=%s disposition %s; want %s %s=%s %s\n%s", r.Outcome, r.PolicyTag, r.Policy, r.Disposition, tt.want, tt.tag, tt.policy, tt.disposition, strings.Join(r.Reasons, "\n"))
			}
			if !strings.Contains(strings.Join(r.Reasons, "\n"), tt.reason) {
				t.Errorf("reasons lack %q:\n%s", tt.reason, strings.Join(r.Reasons, "\n"))
			}
		})
	}
}

func TestDiscoverNotes(t *testing.T) {
	z := dnstest.New()
	z.AddTXT("_dmarc.two.example", "v=DMARC1; p=reject", "v=DMARC1; p=none")
	z.AddTXT("_dmarc.example", "v=DMARC1; p=none; psd=y")
	d, err := dmarc.Discover(context.Background(), "mail.two.example", &dmarc.Options{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	if d.RecordDomain != "example" || d.OrgDomain != "two.example" {
		t.Errorf("D6/record at %q, org %q", d.RecordDomain, d.OrgDomain)
	}
	if len(d.Notes) == 0 || !strings.Contains(d.Notes[0], "2 DMARC records") {
		t.Errorf("D6/notes %q", d.Notes)
	}
}

func TestEvaluateReasonsSanitised(t *testing.T) {
	z := dnstest.New()
	z.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject")
	res := dmarc.Evaluate(context.Background(), &dmarc.Input{FromDomain: "example.com", SPFDomain: "evil\u202e\x1b.example", SPFResult: authres.ResultFail,
		DKIM: []dmarc.DKIMResult{{Domain: "x\r\n.example", Selector: "s\x00", Result: authres.ResultFail}}}, &dmarc.Options{Resolver: z})
	for _, r := range res.Reasons {
		if strings.ContainsAny(r, "\u202e\x1b\r\n\x00") {
			t.Errorf("reason not sanitised: %q", r)
		}
	}
}
