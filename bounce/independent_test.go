package bounce

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestIndependentSuites scores Parse on other bounce parsers' test data
// (testdata/independent, with what their own tests assert) and fails when a
// score drops below the floor recorded here: raise the floors when a change
// raises the scores.
func TestIndependentSuites(t *testing.T) {
	const (
		floorDetected   = 123 // kind as asserted
		floorRecipients = 103 // recipient set as asserted
	)
	f, err := os.Open("testdata/independent/expected.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var scored, detected, withRcpts, recipients int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		for len(cols) < 3 {
			cols = append(cols, "")
		}
		file, want, wantRcpts := cols[0], cols[1], cols[2]
		b, err := os.ReadFile(filepath.Join("testdata/independent", file))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ParseBytes(b)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if want == "?" {
			continue
		}
		scored++
		ok := false
		switch want {
		case "none":
			ok = rep.Kind == KindNone
		case "vacation":
			ok = rep.Kind == KindVacation
		case "notbounce":
			ok = rep.Kind == KindNone || rep.Kind == KindVacation
		case "failure", "delay":
			ok = string(rep.Kind) == want
		case "failure-hard":
			ok = rep.Kind == KindFailure && len(rep.Recipients) > 0 && rep.Recipients[0].Severity == SeverityHard
		}
		if ok {
			detected++
		} else {
			t.Logf("%s: kind %q (severity of first %v), want %s", file, rep.Kind, firstSeverity(rep), want)
		}
		if wantRcpts == "" {
			continue
		}
		withRcpts++
		var got []string
		for _, rc := range rep.Recipients {
			got = append(got, strings.ToLower(rc.Address))
		}
		sort.Strings(got)
		if strings.Join(got, ",") == wantRcpts {
			recipients++
		} else {
			t.Logf("%s: recipients %q, want %q", file, got, wantRcpts)
		}
	}
	t.Logf("independent suites: kind %d/%d, recipients %d/%d", detected, scored, recipients, withRcpts)
	if detected < floorDetected || recipients < floorRecipients {
		t.Errorf("scores dropped: kind %d (floor %d), recipients %d (floor %d)", detected, floorDetected, recipients, floorRecipients)
	}
}

func firstSeverity(rep *Report) Severity {
	if len(rep.Recipients) == 0 {
		return ""
	}
	return rep.Recipients[0].Severity
}
