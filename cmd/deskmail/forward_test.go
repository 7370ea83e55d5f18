package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runForwardCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"forward"}, args...), &cliIO{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestForwardCommand(t *testing.T) {
	dir := t.TempDir()
	body := filepath.Join(dir, "body.txt")
	subj := filepath.Join(dir, "subject.txt")
	eml := filepath.Join(dir, "mail.eml")
	plain := filepath.Join(dir, "plain.eml")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// new Outlook: the marker is only in the subject
	write(body, "From: John Doe <john.doe@acme.com>\nDate: Thursday, 28 October 2021 at 12:46\nTo: bessie@acme.com <bessie@acme.com>\nCc: Walter <walter@acme.com>\nSubject: Integer\nHello\n")
	write(subj, "FW: Integer\n")
	write(eml, "Message-ID: <1@x>\r\nFrom: agent@desk.example\r\nSubject: Fwd: Hi\r\n\r\n---------- Forwarded message ---------\r\nFrom: Jane <jane@example.com>\r\nTo: agent@desk.example\r\n\r\nhi\r\n")
	write(plain, "Message-ID: <2@x>\r\nFrom: jane@example.com\r\nSubject: Hi\r\n\r\nhello\r\n")

	t.Run("F1/json with subject file", func(t *testing.T) {
		code, out, _ := runForwardCLI(t, "", "-json", "-subject-file", subj, body)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, out)
		}
		var got forwardJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err, out)
		}
		if !got.Forwarded || got.From.Address != "john.doe@acme.com" || got.From.Name != "John Doe" ||
			len(got.To) != 1 || got.To[0].Address != "bessie@acme.com" || len(got.Cc) != 1 || got.Subject != "Integer" || got.File != body {
			t.Errorf("got %+v", got)
		}
		for _, k := range []string{`"file"`, `"forwarded"`, `"from":{"name"`, `"address"`, `"to"`, `"cc"`, `"subject"`, `"date"`} {
			if !strings.Contains(out, k) {
				t.Errorf("JSON lacks %s: %s", k, out)
			}
		}
	})
	t.Run("F1/the same body without the subject is not a forward", func(t *testing.T) {
		code, out, _ := runForwardCLI(t, "", body)
		if code != exitFail || !strings.Contains(out, "not a forward") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("F1/raw message, human output", func(t *testing.T) {
		code, out, _ := runForwardCLI(t, "", eml)
		if code != exitOK || !strings.Contains(out, "from:    \"Jane\" <jane@example.com>") && !strings.Contains(out, "from:    Jane <jane@example.com>") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("F1/stdin and a plain mail", func(t *testing.T) {
		b, _ := os.ReadFile(plain)
		code, out, _ := runForwardCLI(t, string(b), "-json", "-")
		if code != exitFail || !strings.Contains(out, `"forwarded":false`) || !strings.Contains(out, `"address":""`) {
			t.Errorf("exit %d: %s", code, out)
		}
	})
	t.Run("F1/usage and input errors", func(t *testing.T) {
		if code, _, _ := runForwardCLI(t, ""); code != exitUsage {
			t.Errorf("no file: exit %d", code)
		}
		if code, out, _ := runForwardCLI(t, "", "-json", filepath.Join(dir, "missing")); code != exitFail || !strings.Contains(out, `"error"`) {
			t.Errorf("missing file: exit %d %s", code, out)
		}
		if code, _, _ := runForwardCLI(t, "", "-subject-file", filepath.Join(dir, "missing"), body); code != exitFail {
			t.Errorf("missing subject file: exit %d", code)
		}
	})
}
