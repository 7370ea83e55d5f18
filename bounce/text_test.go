package bounce

import (
	"strings"
	"testing"
)

// TestCopyMarkersHaveAMarkerWord keeps copyMarker's prefilter honest: a
// marker without one of markerWord's words would never be found.
func TestCopyMarkersHaveAMarkerWord(t *testing.T) {
	for _, m := range copyMarkers {
		if !markerWord(m) {
			t.Errorf("copy marker %q has none of markerWord's words", m)
		}
	}
}

// TestCopyMarker finds the line that introduces the returned message, and
// only a short line standing alone.
func TestCopyMarker(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"<a@b.example>: 550 unknown\n\n--- Below this line is a copy of the message.\nTo: x@y.example\n", 28},
		{"Ihre Nachricht\n------ Ursprüngliche Nachricht ------\nFrom: x\n", 15},
		{"The original message follows, but this sentence runs on and on for far longer than any marker line would ever be written by an MTA.\n", -1},
		{"no marker here\n", -1},
	} {
		l := strings.ToLower(tt.text)
		if got := copyMarker(tt.text, l); got != tt.want {
			t.Errorf("copyMarker(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
