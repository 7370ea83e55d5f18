package dkim

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/internal/cputime"
)

// staticTXT serves one key record for every name, from a slice made
// once so the benchmark counts only Verify's allocations.
type staticTXT []string

func (s staticTXT) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return s, nil
}

// BenchmarkVerifyWrapper measures what Verify adds to go-msgauth: reading
// the signature and the key record for the result's fields, with the
// state of the call (verifyRun) allocated as Verify does. The side by
// side comparison is bench/dkim; this isolates the part of the cost that
// is ours, which there hides in the noise of the cryptography.
func BenchmarkVerifyWrapper(b *testing.B) {
	for _, kc := range []struct{ name, file string }{{"rsa2048", "rsa2048.pem"}, {"ed25519", "ed25519.pem"}} {
		pem, err := os.ReadFile("testdata/" + kc.file)
		if err != nil {
			b.Fatal(err)
		}
		key, err := ParsePrivateKey(pem)
		if err != nil {
			b.Fatal(err)
		}
		msg := strings.ReplaceAll("From: Support <support@example.com>\nTo: c@example.net\nSubject: Re: printer\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nMessage-ID: <a@example.com>\n\nIt is fixed.\n", "\n", "\r\n")
		signed, err := Sign([]byte(msg), "example.com", "sel", key, nil)
		if err != nil {
			b.Fatal(err)
		}
		rec, _ := NewKeyRecord(key)
		txt := rec.String()
		b.Run("alg="+kc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cputime.Now()
			opts := &VerifyOptions{Resolver: staticTXT{txt}, MaxSignatures: 5}
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				run := &verifyRun{}
				out := run.read(ctx, signed, opts)
				if len(out) != 1 || out[0].Signature == nil || out[0].KeySize == 0 {
					b.Fatal("signature or key not read")
				}
			}
			b.ReportMetric(float64(cputime.Now()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
