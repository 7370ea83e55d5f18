package spf

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseSerialize(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"D5/every mechanism", "v=spf1 a mx ptr ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.x.example include:x.example all",
			"v=spf1 a mx ptr ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.x.example include:x.example all"},
		{"D5/qualifiers and case", "V=SPF1 +A -MX ~Ptr ?All", "v=spf1 a -mx ~ptr ?all"},
		{"D5/dual cidr", "v=spf1 a/24//64 mx:m.example//48 a:x.example/32//128", "v=spf1 a/24//64 mx:m.example//48 a:x.example"},
		{"D5/modifiers", "v=spf1 -all redirect=r.example exp=e.example foo=%{d}", "v=spf1 -all redirect=r.example exp=e.example foo=%{d}"},
		{"D5/colon and slash in domain", "v=spf1 a:foo:bar/baz.example.com", "v=spf1 a:foo:bar/baz.example.com"},
		{"D5/trailing spaces", "v=spf1  a   -all  ", "v=spf1 a -all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in  string
		pos int
	}{
		{"v=spf1 foo", 7},
		{"v=spf1 a:museum", 9},
		{"v=spf1 ip4:1.2.3.4/33", 18},
		{"v=spf1 ip4:1.2.3.4/032", 18},
		{"v=spf1 ip6:1.2.3.4", 11},
		{"v=spf1 a//129", 8},
		{"v=spf1 -redirect=x.example", 7},
		{"v=spf1 redirect=a.example redirect=b.example", 26},
		{"v=spf1 exists:%{x}.example", 14},
		{"v=spf1 include:%{c}.example", 15},
		{"v=spf1 a:%{d0}.example", 9},
		{"v=spf1 all:x", 10},
		{"v=spf1 a:ctrl.example.com\rptr", 25},
		{"v=spf1 -all\x96", 11},
		{"v=spf2 -all", 0},
		{"v=spf1 =x", 7},
	} {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if se.Pos != tc.pos {
			t.Errorf("Parse(%q): offset %d, want %d (%v)", tc.in, se.Pos, tc.pos, err)
		}
	}
}

// TestMacros checks the examples of RFC 7208 section 7.4.
func TestMacros(t *testing.T) {
	env := &MacroEnv{Sender: "strong-bad@email.example.com", Local: "strong-bad", Domain: "email.example.com",
		Current: "email.example.com", IP: netip.MustParseAddr("192.0.2.3"), HELO: "mx.example.org", Time: 1234}
	for in, want := range map[string]string{
		"%{s}": "strong-bad@email.example.com", "%{o}": "email.example.com", "%{d}": "email.example.com",
		"%{d4}": "email.example.com", "%{d3}": "email.example.com", "%{d2}": "example.com", "%{d1}": "com",
		"%{dr}": "com.example.email", "%{d2r}": "example.email", "%{l}": "strong-bad", "%{l-}": "strong.bad",
		"%{lr}": "strong-bad", "%{lr-}": "bad.strong", "%{l1r-}": "strong",
		"%{ir}.%{v}._spf.%{d2}":             "3.2.0.192.in-addr._spf.example.com",
		"%{lr-}.lp._spf.%{d2}":              "bad.strong.lp._spf.example.com",
		"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}":   "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
		"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}":  "3.2.0.192.in-addr.strong.lp._spf.example.com",
		"%{d2}.trusted-domains.example.net": "example.com.trusted-domains.example.net",
		"%{S}":                              "strong-bad%40email.example.com",
		"%%%_%-":                            "% %20",
		"%{h}%{p}":                          "mx.example.orgunknown",
	} {
		got, err := ExpandMacros(in, env, false)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, _ := ExpandMacros("%{c} %{r} %{t}", env, true); got != "192.0.2.3 unknown 1234" {
		t.Errorf("explanation macros = %q", got)
	}
	if _, err := ExpandMacros("%{c}", env, false); !errors.Is(err, ErrMacro) {
		t.Errorf("%%{c} outside exp: %v", err)
	}
	env.IP = netip.MustParseAddr("2001:db8::cb01")
	got, _ := ExpandMacros("%{ir}.%{v}._spf.%{d2}", env, false)
	if want := "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"; got != want {
		t.Errorf("IPv6 %%{ir} = %q", got)
	}
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + ".example.com"
	if d := truncateDomain(long + "."); len(d) > 253 || !strings.HasSuffix(d, ".example.com") || strings.HasPrefix(d, "a") {
		t.Errorf("truncateDomain = %q (%d)", d, len(d))
	}
}

func TestParseBound(t *testing.T) {
	long := "v=spf1 " + strings.Repeat("ip4:192.0.2.1 ", MaxRecordLen/14) + "-all"
	_, err := Parse(long)
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "over the 4096-byte limit") {
		t.Errorf("record of %d bytes: %v", len(long), err)
	}
}
