package bounce

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/bounce"
)

// refinedBy maps each reason Sisimai 5 added to the Sisimai 4 reasons it
// was split from. The installed Perl Sisimai is 4.25; deskmail follows
// Sisimai 5, so a table entry of reason "blocked" that deskmail reads as
// badreputation agrees with it.
var refinedBy = map[bounce.Reason][]string{
	bounce.ReasonAuthFailure:     {"blocked", "rejected", "securityerror", "policyviolation"},
	bounce.ReasonBadReputation:   {"blocked"},
	bounce.ReasonRequirePTR:      {"blocked"},
	bounce.ReasonSpeeding:        {"toomanyconn", "blocked"},
	bounce.ReasonFailedSTARTTLS:  {"securityerror", "syntaxerror", "blocked"},
	bounce.ReasonNotCompliantRFC: {"policyviolation", "contenterror", "rejected"},
}

// tableFloors are the shares of entries deskmail must agree with, per
// table: Sisimai's reason wording, and each provider's codes and texts.
// They hold the figures of 2026-12-05 (README.md); an entry that moves
// away from its table shows in -v.
var tableFloors = map[string]float64{
	"reason": 0.92, "regex": 0.85, "exchangeonline": 0.77, "google": 0.77, "mimecast": 0.83,
	"tencent": 0.65, "cox": 0.9, "godaddy": 0.8, "iua": 0.3, "mta": 0.8,
}

// TestPhraseOracle writes one report for each entry of the reason and
// provider tables of the installed Perl Sisimai (sisimai_tables.pl), parses
// each with bounce.Parse and compares the reason with the table's. It is
// an oracle of wording: the tables are another project's collection of
// what MTAs and providers write, so agreement shows the phrase tables
// generalise beyond the corpora here.
func TestPhraseOracle(t *testing.T) {
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl not found; the oracle needs perl and Debian libsisimai-perl")
	}
	dir := t.TempDir()
	out, err := exec.Command("perl", "sisimai_tables.pl", dir).Output()
	if err != nil {
		t.Fatalf("sisimai_tables.pl: %v", err)
	}
	if bytes.HasPrefix(out, []byte("nosisimai ")) {
		t.Skipf("perl has no Sisimai (Debian: libsisimai-perl): %s", bytes.TrimSpace(out[10:]))
	}
	type score struct{ n, agree, sisimai int }
	scores := map[string]*score{}
	var misses []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 4 || strings.HasPrefix(c[0], "#") {
			continue
		}
		file, table, want, sis := c[0], c[1], c[2], c[3]
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := bounce.ParseBytes(raw)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got := "NONE"
		if len(rep.Recipients) > 0 {
			got = string(rep.Recipients[0].Reason)
		}
		s := scores[table]
		if s == nil {
			s = &score{}
			scores[table] = s
		}
		s.n++
		switch {
		case got == want || refines(bounce.Reason(got), want):
			s.agree++
		case got == sis:
			s.sisimai++ // Sisimai's own rules read the entry another way too
		default:
			diag := ""
			if len(rep.Recipients) > 0 {
				diag = rep.Recipients[0].Diagnostic
			}
			misses = append(misses, table+"\t"+want+"\tsisimai "+sis+"\tdeskmail "+got+"\t"+diag)
		}
	}
	if len(scores) == 0 {
		t.Fatalf("sisimai_tables.pl wrote no entries: %q", out)
	}
	sort.Strings(misses)
	for _, m := range misses {
		t.Log(m)
	}
	tables := make([]string, 0, len(scores))
	for k := range scores {
		tables = append(tables, k)
	}
	sort.Strings(tables)
	for _, k := range tables {
		s := scores[k]
		share := float64(s.agree) / float64(s.n)
		t.Logf("%-15s %3d entries: deskmail agrees with the table on %3d (%.1f%%), with Sisimai's own reading on %d more",
			k, s.n, s.agree, 100*share, s.sisimai)
		if floor, ok := tableFloors[k]; ok && share < floor {
			t.Errorf("%s: agreement %.1f%% is below the floor %.0f%%", k, 100*share, 100*floor)
		}
	}
}

func refines(got bounce.Reason, want string) bool {
	for _, r := range refinedBy[got] {
		if r == want {
			return true
		}
	}
	return false
}
