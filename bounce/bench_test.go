package bounce

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deskmail/deskmail/internal/cputime"
)

// BenchmarkParseCorpus classifies every mail of the corpus in turn. Run with
// -cpu 1: mails/s is wall-clock throughput on one core, mails/cpu-s the same
// per CPU-second used (steadier when other processes compete for the core).
func BenchmarkParseCorpus(b *testing.B) {
	files, _ := filepath.Glob("testdata/sisimai/bsd/*.eml")
	var mails [][]byte
	for _, p := range files {
		m, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		mails = append(mails, m)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	for i := 0; i < b.N; i++ {
		if _, err := ParseBytes(mails[i%len(mails)]); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cputime.Now() - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "mails/cpu-s")
	}
}

func BenchmarkVERP(b *testing.B) {
	v := fuzzVERP(b)
	const acct, rcpt, id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "jane.doe@customer.example", "dm.inst4ll.abcdefghijklmnopqrstuvwxyz234567abcdefgh@support.acme.example"
	rp, _ := v.ReturnPath(acct, rcpt, id)
	b.Run("ReturnPath", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := v.ReturnPath(acct, rcpt, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := v.Verify(rp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
