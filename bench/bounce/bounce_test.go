// Package bounce benchmarks bounce.Parse side by side with Sisimai over the
// sisimai corpus copy, every mail in memory, one mail per op:
// BenchmarkParse runs deskmail, BenchmarkSisimaiPerl the Perl Sisimai
// (Debian libsisimai-perl) through sisimai_oracle.pl. Both report the CPU
// time per mail as cpu-ns/op; README.md keeps the figures.
// TestPhraseOracle compares the reasons with the tables of the same Perl
// Sisimai (sisimai_tables.pl).
//
//	go test -run '^$' -bench 'Parse|Sisimai' -cpu 1 -count 6 ./bounce
package bounce

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/internal/cputime"
)

const corpusDir = "../../bounce/testdata/sisimai/bsd"

func TestMain(m *testing.M) {
	code := m.Run()
	stopPeer()
	os.Exit(code)
}

// corpusFiles lists the corpus mails in the order both benchmarks parse
// them (filepath.Glob sorts).
func corpusFiles(tb testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if len(files) == 0 {
		tb.Skip("no corpus at " + corpusDir)
	}
	return files
}

func corpus(b *testing.B) [][]byte {
	var mails [][]byte
	for _, p := range corpusFiles(b) {
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
