package cputime

import (
	"testing"
)

func TestNowAdvances(t *testing.T) {
	start := Now()
	if start == 0 {
		t.Skip("no CPU time on this platform")
	}
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i
	}
	_ = x
	if Now() < start {
		t.Error("CPU time went backwards")
	}
}

func BenchmarkReport(b *testing.B) {
	start := Now()
	for b.Loop() {
		_ = Now()
	}
	Report(b, start)
}
