package spf

import (
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
)

// suiteRecords returns every "v=spf1" string of the RFC 7208 suite, as fuzz
// seeds.
func suiteRecords(f *testing.F) []string {
	data, err := os.ReadFile("testdata/rfc7208-tests.yml")
	if err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)(?:SPF|TXT):\s+"?(v=spf1[^"\n]*)"?$`).FindAllStringSubmatch(string(data), -1) {
		out = append(out, m[1])
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, r := range suiteRecords(f) {
		f.Add(r)
	}
	f.Add("v=spf1 a:foo:bar/baz.example.com/24//64 mx//0 ip6:::1/0 ~all")
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := Parse(s)
		if err != nil {
			if se, ok := err.(*SyntaxError); !ok || se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q): bad error %#v", s, err)
			}
			return
		}
		for _, tm := range rec.Terms {
			if tm.Pos < 0 || tm.Pos+len(tm.Text) > len(s) || s[tm.Pos:tm.Pos+len(tm.Text)] != tm.Text {
				t.Fatalf("Parse(%q): term %q at %d does not match the input", s, tm.Text, tm.Pos)
			}
		}
		// The canonical form parses to itself.
		canon := rec.String()
		rec2, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, canon, err)
		}
		if rec2.String() != canon {
			t.Fatalf("canonical form unstable: %q -> %q", canon, rec2.String())
		}
		LintRecord(t.Context(), s, &LintOptions{NoFollow: true})
	})
}

func FuzzExpandMacros(f *testing.F) {
	for _, s := range []string{"%{s}", "%{ir}.%{v}._spf.%{d2}", "%{lr-}.lp._spf.%{d2}", "%{l1r+-}", "%{L}%%%_%-", "%{c} %{r} %{t}", "%{p}.%{h}", "%{d0}", "%{i129}", "%{x}", "%", "%{"} {
		f.Add(s, "strong-bad@email.example.com", "2001:db8::cb01", true)
	}
	f.Fuzz(func(t *testing.T, s, sender, ipstr string, exp bool) {
		ip, err := netip.ParseAddr(ipstr)
		if err != nil {
			ip = netip.MustParseAddr("192.0.2.3")
		}
		local, dom := splitSender(sender)
		env := &MacroEnv{Sender: sender, Local: local, Domain: dom, Current: dom, IP: ip, HELO: "mx.example.org", Receiver: "r.example", Time: 1}
		out, err := ExpandMacros(s, env, exp)
		if err != nil {
			if strings.IndexByte(s, '%') < 0 && checkMacroString(s, exp) == nil {
				t.Fatalf("ExpandMacros(%q): %v but the syntax check passes", s, err)
			}
			return
		}
		if checkMacroString(s, exp) != nil {
			t.Fatalf("ExpandMacros(%q) = %q but the syntax check fails", s, out)
		}
	})
}

func FuzzCheckHost(f *testing.F) {
	for _, r := range suiteRecords(f) {
		f.Add(r, "192.0.2.1")
	}
	f.Add("v=spf1 mx/24//64 ptr:%{d} exists:%{ir}.%{v}.%{o} include:%{l}.example.com -all exp=%{h}.example.com", "2001:db8::1")
	f.Fuzz(func(t *testing.T, rec, ipstr string) {
		ip, err := netip.ParseAddr(ipstr)
		if err != nil {
			return
		}
		z := dnstestZone()
		z.AddTXT("example.com", rec)
		z.AddTXT("inc.example.com", rec)
		c := CheckHost(t.Context(), ip, "example.com", "user@example.com", &Options{Trace: true, Resolver: z})
		switch c.Result {
		case None, Neutral, Pass, Fail, SoftFail, TempError, PermError:
		default:
			t.Fatalf("result %q", c.Result)
		}
		if c.Lookups > 11 || c.VoidLookups > 3 {
			t.Fatalf("limits exceeded: %d lookups, %d void", c.Lookups, c.VoidLookups)
		}
		tr := c.Trace()
		if len(tr) < 2 || tr[len(tr)-1] != "result: "+string(c.Result) {
			t.Fatalf("trace %q does not end with the result %s", tr, c.Result)
		}
		for _, l := range tr {
			if l == "" || strings.ContainsFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("trace line %q is empty or holds a control character", l)
			}
		}
	})
}
