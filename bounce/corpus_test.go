package bounce

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expectedRow is one line of testdata/sisimai/expected.tsv: sisimai's verdict
// for one recipient of one corpus mail.
type expectedRow struct {
	file      string
	index     int
	recipient string
	status    string
	replyCode string
	reason    string
	hard      string
	feedback  string
	engine    string
}

func loadExpected(t testing.TB) []expectedRow {
	t.Helper()
	f, err := os.Open("testdata/sisimai/expected.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []expectedRow
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 9 {
			continue
		}
		var idx int
		fmt.Sscan(c[1], &idx)
		rows = append(rows, expectedRow{c[0], idx, c[2], c[3], c[4], c[5], c[6], c[7], c[8]})
	}
	return rows
}

type corpusScore struct {
	rows, files, parsed                 int
	recipient, status, reason, feedback int
	mismatches                          []string
}

func (s corpusScore) pct(n int) float64 { return 100 * float64(n) / float64(s.rows) }

func scoreCorpus(t testing.TB, dir string, rows []expectedRow) corpusScore {
	t.Helper()
	var s corpusScore
	reports := map[string]*Report{}
	for _, r := range rows {
		path := filepath.Join("testdata/sisimai", dir, r.file)
		rep, ok := reports[r.file]
		if !ok {
			b, err := os.ReadFile(path)
			if os.IsNotExist(err) {
				reports[r.file] = nil
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			s.files++
			rep, err = ParseBytes(b)
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			reports[r.file] = rep
		}
		if rep == nil {
			if _, err := os.Stat(path); err != nil {
				continue
			}
		}
		s.rows++
		var got Recipient
		if rep != nil && r.index-1 < len(rep.Recipients) {
			got = rep.Recipients[r.index-1]
			s.parsed++
		}
		ok1 := got.Address == r.recipient
		ok2 := got.Status == r.status
		ok3 := string(got.Reason) == r.reason
		if ok1 {
			s.recipient++
		}
		if ok2 {
			s.status++
		}
		if ok3 {
			s.reason++
		}
		if rep != nil && rep.FeedbackType == r.feedback {
			s.feedback++
		}
		if !ok1 || !ok2 || !ok3 {
			s.mismatches = append(s.mismatches, fmt.Sprintf("%s/%s#%d [%s]: want %s %s %s, got %s %s %s | %.160q",
				dir, r.file, r.index, r.engine, r.recipient, r.status, r.reason, got.Address, got.Status, got.Reason, got.Diagnostic))
		}
	}
	return s
}

// TestCorpusScore logs how Parse scores against sisimai's verdicts on its
// own corpus (B9), for the Unix, DOS and old-Mac line-ending copies. The
// golden files (TestGolden) guard every row; this only reports the figures
// (BOUNCE_CORPUS_VERBOSE=1 lists the rows that differ from sisimai).
func TestCorpusScore(t *testing.T) {
	rows := loadExpected(t)
	for _, dir := range []string{"bsd", "dos", "mac"} {
		s := scoreCorpus(t, dir, rows)
		if s.rows == 0 {
			t.Fatalf("%s: no corpus rows", dir)
		}
		t.Logf("B9/%s: %d rows over %d files: recipient %.1f%%, status %.1f%%, reason %.1f%%, feedback type %.1f%%",
			dir, s.rows, s.files, s.pct(s.recipient), s.pct(s.status), s.pct(s.reason), s.pct(s.feedback))
		if os.Getenv("BOUNCE_CORPUS_VERBOSE") != "" {
			for _, m := range s.mismatches {
				t.Log(m)
			}
		}
	}
}

// TestNotBounces checks that ordinary mail is not taken for a report.
func TestNotBounces(t *testing.T) {
	files, _ := filepath.Glob("testdata/sisimai/not/*.eml")
	if len(files) != 2 {
		t.Fatalf("want 2 not/ mails, have %d", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ParseBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Kind != KindNone || len(rep.Recipients) != 0 {
			t.Errorf("B9/%s: kind %q with %d recipients, want not a report", f, rep.Kind, len(rep.Recipients))
		}
	}
}
