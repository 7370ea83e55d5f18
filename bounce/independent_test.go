package bounce

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
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
		floorDetected   = 247 // kind as asserted
		floorRecipients = 140 // recipient set as asserted
		floorReasons    = 98  // every recipient's reason among those asserted
	)
	f, err := os.Open("testdata/independent/expected.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var scored, detected, withRcpts, recipients, withReason, reasons int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		for len(cols) < 4 {
			cols = append(cols, "")
		}
		file, want, wantRcpts, wantReason := cols[0], cols[1], cols[2], cols[3]
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
		case "notfailure":
			ok = rep.Kind == KindNone || rep.Kind == KindVacation || rep.Kind == KindDelay
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
		if wantReason != "" {
			withReason++
			if reasonsAmong(rep, strings.Split(wantReason, "|")) {
				reasons++
			} else {
				t.Logf("%s: reasons %v, want one of %s", file, reasonsOf(rep), wantReason)
			}
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
	t.Logf("independent suites: kind %d/%d, recipients %d/%d, reasons %d/%d", detected, scored, recipients, withRcpts, reasons, withReason)
	if detected < floorDetected || recipients < floorRecipients || reasons < floorReasons {
		t.Errorf("scores dropped: kind %d (floor %d), recipients %d (floor %d), reasons %d (floor %d)",
			detected, floorDetected, recipients, floorRecipients, reasons, floorReasons)
	}
}

func firstSeverity(rep *Report) Severity {
	if len(rep.Recipients) == 0 {
		return ""
	}
	return rep.Recipients[0].Severity
}

// reasonsAmong reports whether the report names at least one recipient and
// every recipient's reason is one of want.
func reasonsAmong(rep *Report, want []string) bool {
	if len(rep.Recipients) == 0 {
		return false
	}
	for _, rc := range rep.Recipients {
		if !slices.Contains(want, string(rc.Reason)) {
			return false
		}
	}
	return true
}

func reasonsOf(rep *Report) []Reason {
	var out []Reason
	for _, rc := range rep.Recipients {
		out = append(out, rc.Reason)
	}
	return out
}
