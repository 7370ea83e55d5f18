package forward

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// row is one fixture's result: the columns of a golden file.
type row struct {
	file, forwarded, address, name string
}

func (r row) String() string {
	return r.file + "\t" + r.forwarded + "\t" + r.address + "\t" + r.name
}

func resultRow(file string, f Forward) row {
	r := row{file: file, forwarded: fmt.Sprint(f.Forwarded)}
	if f.Forwarded {
		r.address, r.name = f.From.Addr(), f.From.Name
	}
	return r
}

// corpus is one set of fixtures with its truth, and the share of them
// that must be fully right.
type corpus struct {
	name  string
	truth []row
	run   func(t *testing.T, file string) Forward
	floor float64 // percent fully right
}

func corpora(t *testing.T) []corpus {
	return []corpus{crispCorpus(t), writtenCorpus(t), replyTrimmerCorpus(t)}
}

func crispCorpus(t *testing.T) corpus {
	var truth []row
	subjects := map[string]string{}
	for _, c := range loadCrisp(t) {
		truth = append(truth, row{c.fixture, fmt.Sprint(c.forwarded), c.address, c.name})
		subjects[c.fixture] = c.subjectFile
	}
	return corpus{name: "crisp", truth: truth, floor: 98, run: func(t *testing.T, file string) Forward {
		body, err := os.ReadFile(filepath.Join("testdata", "crisp", file))
		if err != nil {
			t.Fatal(err)
		}
		return text(readCrisp(t, subjects[file]), string(body), nil)
	}}
}

func writtenCorpus(t *testing.T) corpus {
	return corpus{name: "written", truth: readTSV(t, filepath.Join("testdata", "written", "expected.tsv")), floor: 98,
		run: func(t *testing.T, file string) Forward {
			f, err := os.Open(filepath.Join("testdata", "written", file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := Parse(f, nil)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return got
		}}
}

// replyTrimmerCorpus is an independent project's fixtures: the plain-text
// bodies that code.forgejo.org/forgejo/reply (a Go port of Discourse's
// email_reply_trimmer) trims, read with ParseText and no subject, since the
// fixtures keep none. Its truth is the fixtures' own: one forward, the
// rest replies quoting or embedding earlier mail.
func replyTrimmerCorpus(t *testing.T) corpus {
	return corpus{name: "replytrimmer", truth: readTSV(t, filepath.Join("testdata", "replytrimmer", "expected.tsv")), floor: 95,
		run: func(t *testing.T, file string) Forward {
			body, err := os.ReadFile(filepath.Join("testdata", "replytrimmer", file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseText("", string(body), nil)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return got
		}}
}

func readTSV(t *testing.T, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []row
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first || strings.HasPrefix(sc.Text(), "#") || sc.Text() == "" {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		for len(c) < 4 {
			c = append(c, "")
		}
		out = append(out, row{c[0], c[1], c[2], c[3]})
	}
	return out
}

func writeTSV(t *testing.T, path, header string, rows []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGolden runs every fixture of each corpus and
// compares each row (file, forwarded, sender address, sender name) with
// testdata/golden/<corpus>.tsv: any changed row fails. go test -run
// TestGolden -update rewrites the golden files.
func TestGolden(t *testing.T) {
	for _, c := range corpora(t) {
		t.Run("F1/"+c.name, func(t *testing.T) {
			var got []string
			for _, tr := range c.truth {
				got = append(got, resultRow(tr.file, c.run(t, tr.file)).String())
			}
			path := filepath.Join("testdata", "golden", c.name+".tsv")
			if *update {
				writeTSV(t, path, "file\tforwarded\tfrom_address\tfrom_name", got)
				return
			}
			want := readTSV(t, path)
			wantByFile := map[string]string{}
			for _, w := range want {
				wantByFile[w.file] = w.String()
			}
			for _, g := range got {
				file := strings.SplitN(g, "\t", 2)[0]
				w, ok := wantByFile[file]
				if !ok {
					t.Errorf("%s: not in the golden file (run with -update)", file)
					continue
				}
				if w != g {
					t.Errorf("changed row (-want +got):\n-%s\n+%s", w, g)
				}
				delete(wantByFile, file)
			}
			for f := range wantByFile {
				t.Errorf("%s: in the golden file but not in the corpus", f)
			}
		})
	}
}

// TestCorpusAccuracy compares each corpus with its truth: at least the
// corpus' floor (98% for ours and crisp's) of the fixtures give the
// expected flag, sender address and name, no not-a-forward fixture is
// taken for a forward unless it is a listed mismatch, and every mismatch
// is listed with its reason in testdata/golden/known-mismatches.tsv (and
// nothing listed there matches now).
func TestCorpusAccuracy(t *testing.T) {
	known := map[string]bool{}
	for _, r := range readTSV(t, filepath.Join("testdata", "golden", "known-mismatches.tsv")) {
		known[r.file] = true
	}
	for _, c := range corpora(t) {
		t.Run("F1/"+c.name, func(t *testing.T) {
			ok, fp, neg := 0, 0, 0
			var bad []string
			for _, tr := range c.truth {
				got := resultRow(tr.file, c.run(t, tr.file))
				if tr.forwarded == "false" {
					neg++
					if got.forwarded == "true" {
						fp++
						if !known[c.name+"/"+tr.file] {
							t.Errorf("%s: not a forward, taken for one from %q <%s>", tr.file, got.name, got.address)
						}
					}
				}
				if got == tr {
					ok++
					if known[c.name+"/"+tr.file] {
						t.Errorf("%s/%s is listed as a known mismatch but matches now", c.name, tr.file)
					}
					continue
				}
				bad = append(bad, fmt.Sprintf("%s: want %s, got %s", tr.file, tr, got))
				if !known[c.name+"/"+tr.file] {
					t.Errorf("unlisted mismatch %s: want %q, got %q", tr.file, tr.String(), got.String())
				}
			}
			sort.Strings(bad)
			for _, b := range bad {
				t.Log(b)
			}
			pct := 100 * float64(ok) / float64(len(c.truth))
			t.Logf("F1 %s corpus: %d/%d fully right (%.1f%%); false positives %d of %d negatives", c.name, ok, len(c.truth), pct, fp, neg)
			if pct < c.floor {
				t.Errorf("F1 %s corpus: %.1f%% < %v%%", c.name, pct, c.floor)
			}
		})
	}
}
