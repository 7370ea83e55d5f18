package bounce

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from what Parse produces now")

// goldenSets are the corpus directories with a golden file each.
var goldenSets = []struct{ name, glob string }{
	{"sisimai-bsd", "testdata/sisimai/bsd/*.eml"},
	{"sisimai-dos", "testdata/sisimai/dos/*.eml"},
	{"sisimai-mac", "testdata/sisimai/mac/*.eml"},
	{"sisimai-not", "testdata/sisimai/not/*.eml"},
	{"written", "testdata/written/*.eml"},
	{"independent-flufl", "testdata/independent/flufl/*.txt"},
	{"independent-baunsu", "testdata/independent/baunsu/*.txt"},
	{"independent-bounceparser", "testdata/independent/bounceparser/*.msg"},
}

const goldenHeader = "# file\tindex\tkind\trecipient\tstatus\treason\tseverity\n"

// goldenRows returns one line per recipient Parse finds in each file of
// glob, and a line of index 0 for a file with none.
func goldenRows(t testing.TB, glob string) []string {
	t.Helper()
	files, _ := filepath.Glob(glob)
	sort.Strings(files)
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		rep, err := ParseBytes(b)
		if err != nil {
			out = append(out, fmt.Sprintf("%s\t0\terror\t%v\t\t\t", name, err))
			continue
		}
		kind := string(rep.Kind)
		if kind == "" {
			kind = "none"
		}
		if len(rep.Recipients) == 0 {
			out = append(out, fmt.Sprintf("%s\t0\t%s\t\t\t\t", name, kind))
		}
		for i, rc := range rep.Recipients {
			out = append(out, fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s\t%s", name, i+1, kind, rc.Address, rc.Status, rc.Reason, rc.Severity))
		}
	}
	return out
}

// TestGolden compares what Parse produces for every corpus mail with the
// golden files, row by row; -update rewrites them so that a review shows
// every moved row in the diff.
func TestGolden(t *testing.T) {
	for _, set := range goldenSets {
		t.Run(set.name, func(t *testing.T) {
			got := goldenRows(t, set.glob)
			if len(got) == 0 {
				t.Skipf("no mails match %s", set.glob)
			}
			path := filepath.Join("testdata/golden", set.name+".tsv")
			text := goldenHeader + strings.Join(got, "\n") + "\n"
			if *update {
				if err := os.MkdirAll("testdata/golden", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			want := strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(b), goldenHeader), "\n"), "\n")
			wantSet := map[string]bool{}
			for _, w := range want {
				wantSet[w] = true
			}
			gotSet := map[string]bool{}
			for _, g := range got {
				gotSet[g] = true
				if !wantSet[g] {
					t.Errorf("new row:  %s", g)
				}
			}
			for _, w := range want {
				if !gotSet[w] {
					t.Errorf("lost row: %s", w)
				}
			}
		})
	}
}

// TestGoldenSeverity checks B1 on every golden row: the severity is the
// policy's severity for the reason, and a failure is never severity none.
func TestGoldenSeverity(t *testing.T) {
	for _, set := range goldenSets {
		files, _ := filepath.Glob(set.glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ParseBytes(b)
			if err != nil {
				continue
			}
			for i, rc := range rep.Recipients {
				if want := DefaultPolicy.Severity(rc.Reason); rc.Severity != want {
					t.Errorf("B1/%s#%d: reason %s has severity %s, want %s", f, i+1, rc.Reason, rc.Severity, want)
				}
				if rc.Reason.Failure() && rc.Severity == SeverityNone {
					t.Errorf("B1/%s#%d: failure %s with severity none", f, i+1, rc.Reason)
				}
			}
		}
	}
}
