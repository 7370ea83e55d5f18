package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// runCLI runs the tool with stdin and returns the exit code and outputs.
func runCLI(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &cliIO{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// Every command answers -h and help with its usage on stdout and exit 0.
func TestHelpExitsZero(t *testing.T) {
	for _, c := range commandTable() {
		args := []string{c.name, "-h"}
		switch c.name {
		case "bounce":
			args = []string{"bounce", "parse", "-h"}
		case "dkim":
			args = []string{"dkim", "verify", "-h"}
		case "dmarc":
			args = []string{"dmarc", "check", "-h"}
		case "relay":
			args = []string{"relay", "probe", "-h"}
		case "spf":
			args = []string{"spf", "lint", "-h"}
		}
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI("", args...)
			if code != exitOK || !strings.Contains(out, "Usage") || errs != "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
			}
			if code, out, _ := runCLI("", "help", c.name); code != exitOK || out == "" {
				t.Errorf("help %s: exit %d", c.name, code)
			}
		})
	}
	if code, out, _ := runCLI("", "help"); code != exitOK || !strings.Contains(out, "version") {
		t.Errorf("help: exit %d %q", code, out)
	}
	if code, _, _ := runCLI("", "-h"); code != exitOK {
		t.Errorf("-h: exit %d", code)
	}
}

// Commands that read mail refuse empty input with a message and exit 1.
func TestEmptyInputIsAnError(t *testing.T) {
	for _, args := range [][]string{
		{"bounce", "parse"}, {"bounce", "parse", "-"}, {"forward", "-"},
		{"dkim", "verify"}, {"thread"}, {"thread", "-json", "-"},
	} {
		code, _, errs := runCLI("", args...)
		if code != exitFail || !strings.Contains(errs, "empty input") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// Errors carry one "deskmail: " prefix, and text from the input is escaped.
func TestErrorsHaveOnePrefix(t *testing.T) {
	_, _, errs := runCLI("", "address", "Eve\x1b[31m <not an address")
	if strings.Contains(errs, "deskmail: deskmail:") {
		t.Errorf("double prefix: %q", errs)
	}
	if strings.Contains(errs, "\x1b") {
		t.Errorf("raw escape in %q", errs)
	}
	for _, args := range [][]string{{"frob"}, {"spf", "frob"}, {"bounce", "parse", "/nonexistent"}} {
		_, _, errs := runCLI("", args...)
		if strings.Count(errs, "deskmail: ") != 1 && !strings.HasPrefix(errs, "deskmail: ") || strings.Contains(errs, "deskmail: deskmail:") {
			t.Errorf("%v: stderr %q", args, errs)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI("", "version")
	if code != exitOK || !strings.HasPrefix(out, "deskmail ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: exit %d %q", code, out)
	}
	code, out, _ = runCLI("", "version", "-json")
	if code != exitOK || !strings.Contains(out, `"version":`) {
		t.Errorf("version -json: exit %d %q", code, out)
	}
}

// Commands that take files take all of them.
func TestEveryFileIsRead(t *testing.T) {
	dir := t.TempDir()
	a, b := dir+"/a.eml", dir+"/b.eml"
	writeFile(t, a, "From: a@example.com\r\nSubject: one\r\n\r\nbody\r\n")
	writeFile(t, b, "From: b@example.com\r\nSubject: two\r\n\r\nbody\r\n")
	code, out, _ := runCLI("", "dkim", "verify", "-json", a, b)
	if code != exitFail || strings.Count(out, `"file":`) != 2 {
		t.Errorf("dkim verify of two unsigned files: exit %d, %q", code, out)
	}
	_, out, _ = runCLI("", "bounce", "parse", "-json", a, b)
	if strings.Count(out, `"file":`) != 2 {
		t.Errorf("bounce parse of two files: %q", out)
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Text from mail reaches the terminal with control characters escaped.
func TestOutputIsTerminalSafe(t *testing.T) {
	subject := "Subject: =?utf-8?q?hi=1B]0;pwned=07?=\r\n"
	_, out, _ := runCLI("Message-ID: <x@y>\r\n"+subject+"\r\nbody\r\n", "thread", "-")
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("raw control characters in %q", out)
	}
	_, out, _ = runCLI("", "subject", "Re: \x1b[2Jhello\u202e")
	if strings.ContainsAny(out, "\x1b\u202e") || !strings.Contains(out, `\x1b[2Jhello`) {
		t.Errorf("subject output %q", out)
	}
}
