package forward

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// text is ParseText for input known to be within bounds.
func text(subject, body string, opts *Options) Forward {
	f, err := ParseText(subject, body, opts)
	if err != nil {
		panic(err)
	}
	return f
}

type crispCase struct {
	fixture, subjectFile string
	forwarded            bool
	address, name        string
}

func loadCrisp(t testing.TB) []crispCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "crisp", "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []crispCase
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 5 {
			t.Fatalf("bad line %q", sc.Text())
		}
		out = append(out, crispCase{c[0], c[1], c[2] == "true", c[3], c[4]})
	}
	return out
}

func readCrisp(t testing.TB, name string) string {
	t.Helper()
	if name == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join("testdata", "crisp", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
