package bounce

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseCorpus classifies every mail of the corpus; mails/s is the
// throughput on one core (run with -cpu 1).
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
	n := 0
	for i := 0; i < b.N; i++ {
		if _, err := ParseBytes(mails[i%len(mails)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mails/s")
}
