package dkim

import (
	"testing"

	"github.com/deskmail/deskmail/internal/cputime"
)

// measureCPU runs the benchmark body and reports cpu-ns/op beside ns/op.
func measureCPU(b *testing.B, body func()) {
	b.ReportAllocs()
	b.ResetTimer()
	start := cputime.Now()
	for i := 0; i < b.N; i++ {
		body()
	}
	b.StopTimer()
	b.ReportMetric(float64(cputime.Now()-start)/float64(b.N), "cpu-ns/op")
}
