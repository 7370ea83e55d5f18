// Package bounce benchmarks bounce.Parse over the sisimai corpus copy in
// memory. The peer, go-sisimai, is not served by the module proxy (403), so
// the run measures deskmail alone; README.md records the figures and the
// ratio to sisimai's own published speed.
//
//	go test -run '^$' -bench . -cpu 1 -count 5 ./bounce
package bounce

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/internal/cputime"
)

func corpus(b *testing.B) [][]byte {
	files, _ := filepath.Glob("../../bounce/testdata/sisimai/bsd/*.eml")
	if len(files) == 0 {
		b.Skip("no corpus at ../../bounce/testdata/sisimai/bsd")
	}
	var mails [][]byte
	for _, p := range files {
		m, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		mails = append(mails, m)
	}
	return mails
}

// BenchmarkParse parses every corpus mail in turn (one op = one mail) and
// reports mails/s and the CPU time per mail, which is steadier than wall
// time on a shared machine.
func BenchmarkParse(b *testing.B) {
	mails := corpus(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := cputime.Now()
	for i := 0; i < b.N; i++ {
		if _, err := bounce.ParseBytes(mails[i%len(mails)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
	cputime.Report(b, start)
}
