package dnstest

import (
	"context"
	"os"
	"testing"
)

func FuzzParseZonedata(f *testing.F) {
	data, err := os.ReadFile("testdata/zone.yml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add("a.example:\n  - MX: [x, y]\n  - TXT: [1, 2]\n  - A: [192.0.2.1, '::1']\n  - TIMEOUT\n")
	f.Add("a.example: {A: 1}\n")
	f.Fuzz(func(t *testing.T, s string) {
		z, err := ParseZonedata([]byte(s))
		if err != nil {
			return
		}
		ctx := context.Background()
		for name := range z.names {
			z.LookupTXT(ctx, name)
			z.LookupMX(ctx, name)
			z.LookupNetIP(ctx, "ip", name)
			z.LookupCNAME(ctx, name)
		}
	})
}
