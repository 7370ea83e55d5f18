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

// TestCrispCorpus runs ParseText over the crisp-oss/email-forward-parser
// fixtures and fails below 98% on forwarded flag + sender address + name,
// or on any not-a-forward fixture taken for a forward.
func TestCrispCorpus(t *testing.T) {
	cases := loadCrisp(t)
	var ok, flagOK, fwd, notFwd, notFwdOK int
	for _, c := range cases {
		subject := readCrisp(t, c.subjectFile)
		body, err := os.ReadFile(filepath.Join("testdata", "crisp", c.fixture))
		if err != nil {
			t.Fatal(err)
		}
		got := text(subject, string(body), nil)
		good := got.Forwarded == c.forwarded
		if good {
			flagOK++
		}
		if c.forwarded {
			fwd++
			good = good && got.From.Addr() == c.address && got.From.Name == c.name
		} else {
			notFwd++
			if !got.Forwarded {
				notFwdOK++
			} else {
				t.Errorf("F1/%s: not a forward, but got forwarded from %q (%s)", c.fixture, got.From.String(), got.Evidence)
			}
		}
		if good {
			ok++
		} else {
			t.Logf("F1/%s: want forwarded=%v %q <%s>, got forwarded=%v %q <%s> (%s)", c.fixture,
				c.forwarded, c.name, c.address, got.Forwarded, got.From.Name, got.From.Addr(), got.Evidence)
		}
	}
	pct := 100 * float64(ok) / float64(len(cases))
	t.Logf("F1 crisp corpus: %d/%d fixtures (%.1f%%) give the expected flag, sender address and name; flag alone %d/%d; not-a-forward %d/%d",
		ok, len(cases), pct, flagOK, len(cases), notFwdOK, notFwd)
	if pct < 98 {
		t.Errorf("F1 crisp corpus: %.1f%% < 98%%", pct)
	}
}
