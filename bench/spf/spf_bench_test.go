// Package spf_test benchmarks deskmail's spf.CheckMailFrom against
// blitiri.com.ar/go/spf over every test of the RFC 7208 suite, both
// answering from the same dnstest zones. One op is the whole suite (203
// checks). Each library's default, without a trace: deskmail against
// blitiri. With readable trace lines produced for every check:
// deskmail-trace (Options.Trace, Check.Trace read) against blitiri-trace
// (WithTraceFunc collecting lines).
package spf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/deskmail/deskmail/internal/cputime"

	blitiri "blitiri.com.ar/go/spf"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/spf"
	"go.yaml.in/yaml/v3"
)

type suiteCase struct {
	name           string
	helo, mailFrom string
	ip             netip.Addr
	netIP          net.IP
	want           []string
	zone           *dnstest.Zone
}

func loadSuite(tb testing.TB) []suiteCase {
	data, err := os.ReadFile("../../spf/testdata/rfc7208-tests.yml")
	if err != nil {
		tb.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []suiteCase
	for {
		var doc struct {
			Tests    map[string]map[string]any `yaml:"tests"`
			Zonedata map[string]any            `yaml:"zonedata"`
		}
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			tb.Fatal(err)
		}
		z, err := dnstest.FromZonedata(doc.Zonedata)
		if err != nil {
			tb.Fatal(err)
		}
		for n, m := range doc.Tests {
			ip := netip.MustParseAddr(fmt.Sprint(m["host"]))
			c := suiteCase{name: n, helo: fmt.Sprint(m["helo"]), ip: ip, netIP: net.IP(ip.AsSlice()), zone: z}
			if m["mailfrom"] != nil {
				c.mailFrom = fmt.Sprint(m["mailfrom"])
			}
			switch r := m["result"].(type) {
			case string:
				c.want = []string{r}
			case []any:
				for _, x := range r {
					c.want = append(c.want, fmt.Sprint(x))
				}
			}
			out = append(out, c)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestAgreement reports how many suite tests each library passes, so the
// benchmark compares implementations doing the same work.
func TestAgreement(t *testing.T) {
	cases := loadSuite(t)
	ours, theirs := 0, 0
	ctx := context.Background()
	for _, c := range cases {
		if contains(c.want, string(spf.CheckMailFrom(ctx, c.ip, c.mailFrom, c.helo, &spf.Options{Resolver: c.zone}).Result)) {
			ours++
		}
		r, _ := blitiri.CheckHostWithSender(c.netIP, c.helo, c.mailFrom, blitiri.WithResolver(c.zone), blitiri.WithContext(ctx))
		if contains(c.want, string(r)) {
			theirs++
		}
	}
	t.Logf("RFC 7208 suite: deskmail %d/%d, blitiri %d/%d", ours, len(cases), theirs, len(cases))
}

func BenchmarkRFC7208Suite(b *testing.B) {
	cases := loadSuite(b)
	ctx := context.Background()
	b.Run("lib=deskmail", func(b *testing.B) {
		b.ReportAllocs()
		start := cputime.Now()
		defer func() { cputime.Report(b, start) }()
		for i := 0; i < b.N; i++ {
			for k := range cases {
				c := &cases[k]
				spf.CheckMailFrom(ctx, c.ip, c.mailFrom, c.helo, &spf.Options{Resolver: c.zone})
			}
		}
	})
	var sink int
	b.Run("lib=deskmail-trace", func(b *testing.B) {
		// The readable lines of every check (Options.Trace), like
		// blitiri-trace.
		b.ReportAllocs()
		start := cputime.Now()
		defer func() { cputime.Report(b, start) }()
		for i := 0; i < b.N; i++ {
			for k := range cases {
				c := &cases[k]
				sink += len(spf.CheckMailFrom(ctx, c.ip, c.mailFrom, c.helo, &spf.Options{Resolver: c.zone, Trace: true}).Trace())
			}
		}
	})
	b.Run("lib=blitiri-trace", func(b *testing.B) {
		// blitiri with a trace collected as readable lines, like
		// deskmail-trace.
		b.ReportAllocs()
		start := cputime.Now()
		defer func() { cputime.Report(b, start) }()
		for i := 0; i < b.N; i++ {
			for k := range cases {
				c := &cases[k]
				var trace []string
				tf := func(f string, a ...any) { trace = append(trace, fmt.Sprintf(f, a...)) }
				blitiri.CheckHostWithSender(c.netIP, c.helo, c.mailFrom, blitiri.WithResolver(c.zone), blitiri.WithContext(ctx), blitiri.WithTraceFunc(tf))
			}
		}
	})
	b.Run("lib=blitiri", func(b *testing.B) {
		b.ReportAllocs()
		start := cputime.Now()
		defer func() { cputime.Report(b, start) }()
		for i := 0; i < b.N; i++ {
			for k := range cases {
				c := &cases[k]
				blitiri.CheckHostWithSender(c.netIP, c.helo, c.mailFrom, blitiri.WithResolver(c.zone), blitiri.WithContext(ctx))
			}
		}
	})
}
