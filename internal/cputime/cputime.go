// Package cputime measures the CPU time the process has used, for
// benchmarks that report it next to wall time: on a shared, loaded machine
// the CPU time per operation says more about the code than ns/op, which
// also counts the neighbours.
package cputime

import (
	"testing"
	"time"
)

// Now returns the CPU time (user + system) the process has used so far, or
// 0 where the platform does not tell (then Report reports nothing).
func Now() time.Duration { return now() }

// Report adds a "cpu-ns/op" metric to b: the CPU time used since start (a
// value of Now taken after b.ResetTimer) divided by b.N.
func Report(b *testing.B, start time.Duration) {
	if start == 0 || b.N == 0 {
		return
	}
	if d := now() - start; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
