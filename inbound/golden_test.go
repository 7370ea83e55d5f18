package inbound_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
)

var update = flag.Bool("update", false, "rewrite the golden decisions in testdata/golden")

// goldenEnvelope is the SMTP envelope a golden mail arrives with: the client
// is chosen by the file name (customer-, agent-, spoofed-; anything else
// comes from a receiving MTA), MAIL FROM is the Return-Path.
func goldenEnvelope(name string, raw []byte) *deskmail.Envelope {
	env := &deskmail.Envelope{To: []string{"support@acme.desk.example"}, ClientIP: mtaIP, HELO: "mta.example"}
	switch base := filepath.Base(name); {
	case strings.HasPrefix(base, "customer-"):
		env.ClientIP, env.HELO = customerIP, "mail.customer.example"
	case strings.HasPrefix(base, "agent-"):
		env.ClientIP, env.HELO = acmeIP, "mail.acme.example"
	case strings.HasPrefix(base, "spoofed-"):
		env.ClientIP, env.HELO = spoofIP, "evil.example"
	}
	head, _, _ := bytes.Cut(raw, []byte("\n\n"))
	for _, line := range strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Return-Path") {
			env.From = strings.Trim(strings.TrimSpace(v), "<>")
			break
		}
	}
	return env
}

// TestGoldenDecisions runs every testdata/golden/**/*.eml through the
// pipeline and compares the Decision's JSON with the .json beside it; go
// test -run TestGoldenDecisions -update rewrites them.
func TestGoldenDecisions(t *testing.T) {
	var files []string
	err := filepath.WalkDir(filepath.Join("testdata", "golden"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden mails: %v", err)
	}
	w := newWorld(t, nil)
	for _, f := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(f), "testdata/golden/"), ".eml"), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d := w.process(t, goldenEnvelope(f, raw), string(raw))
			checkSanitised(t, d)
			got, err := json.MarshalIndent(d, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".eml") + ".json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decision for %s changed (run with -update if intended):\n%s", f, got)
			}
		})
	}
}
