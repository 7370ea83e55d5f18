package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runSPFCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"spf"}, args...), &cliIO{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

const spfZone = `
example.com:
  - TXT: "v=spf1 mx include:_spf.provider.net -all exp=why.example.com"
  - MX: [10, mail.example.com]
why.example.com:
  - TXT: "%{i} is not one of %{d}'s mail servers"
mail.example.com:
  - A: 192.0.2.10
_spf.provider.net:
  - TXT: "v=spf1 ip4:198.51.100.0/24 ~all"
two.example.com:
  - TXT: "v=spf1 -all"
  - TXT: "v=spf1 mx -all"
split.example.com:
  - TXT: [ "v=spf1 include:_spf.provider.net", "mx -all" ]
`

func TestSPFCommand(t *testing.T) {
	zone := filepath.Join(t.TempDir(), "zone.yml")
	if err := os.WriteFile(zone, []byte(spfZone), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("D5/check pass json", func(t *testing.T) {
		code, out, errs := runSPFCLI(t, "check", "-json", "-zone", zone, "-ip", "198.51.100.7", "-sender", "bob@example.com", "-helo", "mail.example.com")
		if code != exitOK {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"result", "explanation", "lookups", "trace"} {
			if _, ok := got[k]; !ok {
				t.Errorf("missing %q in %s", k, out)
			}
		}
		if got["result"] != "pass" || got["lookups"] != 2.0 {
			t.Errorf("got %s", out)
		}
	})
	t.Run("D5/check fail with explanation exits 1", func(t *testing.T) {
		code, out, _ := runSPFCLI(t, "check", "-zone", zone, "-ip", "203.0.113.5", "-sender", "bob@example.com", "-helo", "x.example")
		if code != exitFail || !strings.Contains(out, "fail (-all in example.com)") || !strings.Contains(out, "explanation: 203.0.113.5 is not one of example.com's mail servers") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("D5/check usage errors", func(t *testing.T) {
		if code, _, _ := runSPFCLI(t, "check", "-ip", "nope", "-sender", "a@b.c"); code != exitUsage {
			t.Errorf("bad ip: exit %d", code)
		}
		if code, _, _ := runSPFCLI(t, "check", "-zone", "/nonexistent", "-ip", "192.0.2.1", "-sender", "a@b.c"); code != exitFail {
			t.Errorf("missing zone: exit %d", code)
		}
		if code, _, _ := runSPFCLI(t, "frob"); code != exitUsage {
			t.Errorf("unknown subcommand: exit %d", code)
		}
	})
	t.Run("D2/lint domain clean", func(t *testing.T) {
		code, out, _ := runSPFCLI(t, "lint", "-zone", zone, "example.com")
		if code != exitOK || !strings.Contains(out, "lookups: 2") || !strings.Contains(out, "no problems found") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("D2/lint several records json", func(t *testing.T) {
		code, out, _ := runSPFCLI(t, "lint", "-json", "-zone", zone, "two.example.com")
		if code != exitFail || !strings.Contains(out, `"code":"multiple-records"`) {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("D2/lint split glues terms", func(t *testing.T) {
		code, out, _ := runSPFCLI(t, "lint", "-zone", zone, "split.example.com")
		if code != exitFail || !strings.Contains(out, "joined without a space") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("D2/lint record text", func(t *testing.T) {
		code, out, _ := runSPFCLI(t, "lint", "-zone", zone, "-record", "v=spf1 ip4:192.0.2.1 +all")
		if code != exitFail || !strings.Contains(out, "pass-all") && !strings.Contains(out, "every host") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("D1/merge", func(t *testing.T) {
		code, out, _ := runSPFCLI(t, "merge", "-json", "-zone", zone, "-record", "v=spf1 mx -all", "-include", "_spf.provider.net")
		if code != exitOK || !strings.Contains(out, `"record":"v=spf1 mx include:_spf.provider.net -all"`) || !strings.Contains(out, `"lookups":2`) || !strings.Contains(out, `"lookups_before":1`) {
			t.Errorf("exit %d: %s", code, out)
		}
	})
}
