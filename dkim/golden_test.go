package dkim_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.result from the current results")

// TestGolden verifies real signed mails (testdata/golden/*.eml) and
// compares every reported field with the .result file beside each:
// domain, selector, algorithm, b= prefix, signed fields, result and
// reason, one line per signature. The resolver has no keys, so the
// results are permerror or temperror; what is pinned is that each real
// signature is read, and reported, as its own.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden mails: %v", err)
	}
	z := dnstest.New()
	z.SetFault("yj20110701._domainkey.y.example.co.jp", dnstest.ServFail) // one temperror
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			msg, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			vs, err := dkim.Verify(context.Background(), msg, &dkim.VerifyOptions{Resolver: z, Now: now})
			var b strings.Builder
			if err != nil {
				fmt.Fprintf(&b, "error: %v\n", err)
			}
			for _, v := range vs {
				fmt.Fprintf(&b, "%s d=%s s=%s a=%s b=%s h=%s: %s\n", v.Result, v.Domain, v.Selector, v.Algorithm, v.BPrefix, strings.Join(v.Headers, ":"), v.Reason)
			}
			golden := strings.TrimSuffix(file, ".eml") + ".result"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("results differ from %s:\n got:\n%s\nwant:\n%s", golden, b.String(), want)
			}
		})
	}
}
