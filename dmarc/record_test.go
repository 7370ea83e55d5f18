package dmarc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dmarc"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string
		check    func(*dmarc.Record) bool
	}{
		{"minimal", "v=DMARC1; p=none", "", func(r *dmarc.Record) bool {
			return r.Policy == "none" && r.DKIMAlignment == "r" && r.SPFAlignment == "r" && r.Percent == 100 && r.FailureOptions[0] == "0"
		}},
		{"every RFC 7489 tag", "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=s; pct=50; rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com; fo=1:d:s; rf=afrf; ri=3600", "", func(r *dmarc.Record) bool {
			return r.SubdomainPolicy == "reject" && r.DKIMAlignment == "s" && r.SPFAlignment == "s" && r.Percent == 50 && len(r.AggregateURIs) == 2 && len(r.FailureOptions) == 3 && r.ReportInterval == 3600
		}},
		{"RFC 9989 np, psd and t", "v=DMARC1; p=reject; np=quarantine; psd=y; t=y", "", func(r *dmarc.Record) bool {
			return r.NonexistentPolicy == "quarantine" && r.PSD == "y" && r.Testing
		}},
		{"no p is none with a warning", "v=DMARC1; rua=mailto:d@example.com", "", func(r *dmarc.Record) bool {
			return r.Policy == "" && r.EffectivePolicy() == "none" && strings.Contains(strings.Join(r.Warnings, "|"), "no p=")
		}},
		{"case and spaces", "v=DMARC1 ;  P = Reject ; ADKIM=S", "", func(r *dmarc.Record) bool { return r.Policy == "reject" && r.DKIMAlignment == "s" }},
		{"unknown tag ignored", "v=DMARC1; p=none; foo=bar", "", nil},
		{"trailing semicolons", "v=DMARC1; p=none;;", "", nil},
		{"v not first", "p=none; v=DMARC1", "must start with v=DMARC1", nil},
		{"wrong version", "v=DMARC2; p=none", "want DMARC1", nil},
		{"bad policy", "v=DMARC1; p=block", "not none, quarantine or reject", nil},
		{"bad np", "v=DMARC1; p=none; np=maybe", "tag np=", nil},
		{"bad alignment", "v=DMARC1; p=none; aspf=x", "not r (relaxed) or s (strict)", nil},
		{"pct out of range", "v=DMARC1; p=none; pct=101", "outside 0..100", nil},
		{"pct not a number", "v=DMARC1; p=none; pct=ten", "not a number", nil},
		{"bad t", "v=DMARC1; p=none; t=maybe", "not y or n", nil},
		{"bad psd", "v=DMARC1; p=none; psd=x", "not y, n or u", nil},
		{"rua without scheme", "v=DMARC1; p=none; rua=reports@example.com", "not a URI", nil},
		{"rua bad size", "v=DMARC1; p=none; rua=mailto:a@example.com!big", "malformed size", nil},
		{"bad fo", "v=DMARC1; p=none; fo=2", "not one of", nil},
		{"duplicate", "v=DMARC1; p=none; p=reject", "appears twice", nil},
		{"no equals", "v=DMARC1; p", "no '='", nil},
		{"empty", "", "empty record", nil},
	}
	for _, tt := range tests {
		t.Run("D6/"+tt.name, func(t *testing.T) {
			r, err := dmarc.Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, dmarc.ErrSyntax) || !strings.HasPrefix(err.Error(), "dmarc: ") {
					t.Errorf("error %v: not ErrSyntax or no prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil && !tt.check(r) {
				t.Errorf("%+v", r)
			}
			back, err := dmarc.Parse(r.String())
			if err != nil || back.String() != r.String() {
				t.Errorf("round trip %q -> %q (%v)", r.String(), back, err)
			}
		})
	}
}

func TestIsDMARC(t *testing.T) {
	for in, want := range map[string]bool{
		"v=DMARC1; p=none": true, "v=DMARC1": true, "v = DMARC1;p=none": true,
		"v=DMARC10; p=none": false, "v=spf1 -all": false, "p=none; v=DMARC1": false, "": false,
	} {
		if got := dmarc.IsDMARC(in); got != want {
			t.Errorf("D6/IsDMARC(%q) = %v", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=none", "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=20; t=y; psd=n; rua=mailto:a@b.example!10m,https://r.example/x; ruf=mailto:f@b.example; fo=0:1:d:s; rf=afrf; ri=86400",
		"v=DMARC1;", "v=DMARC1; p", "v=DMARC1; p=none; p=none", "v=DMARC1; pct=007",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := dmarc.Parse(s)
		if err != nil {
			if !errors.Is(err, dmarc.ErrSyntax) || !strings.HasPrefix(err.Error(), "dmarc: ") {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		back, err := dmarc.Parse(r.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", r.String(), s, err)
		}
		if back.String() != r.String() {
			t.Fatalf("round trip: %q -> %q", r.String(), back.String())
		}
		if r.Percent < 0 || r.Percent > 100 {
			t.Fatalf("pct %d", r.Percent)
		}
	})
}

func TestParseBound(t *testing.T) {
	long := "v=DMARC1; p=none; rua=mailto:" + strings.Repeat("a", dmarc.MaxRecordLen) + "@example.com"
	if _, err := dmarc.Parse(long); !errors.Is(err, dmarc.ErrSyntax) || !strings.Contains(err.Error(), "over the 4096-byte limit") {
		t.Errorf("record of %d bytes: %v", len(long), err)
	}
}
