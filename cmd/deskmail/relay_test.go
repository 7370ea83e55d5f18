package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/smtptest"
)

func TestRelayProbe(t *testing.T) {
	const pw = "cli-s3cret"
	plain := smtptest.New(t, &smtptest.Options{Users: map[string]string{"app": pw}})
	tlsSrv := smtptest.New(t, &smtptest.Options{Security: smtptest.StartTLS})
	refused := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{Refuse: true}})
	port := func(s *smtptest.Server) string { return strconv.Itoa(s.Port()) }
	tests := []struct {
		name  string
		args  []string
		env   string
		code  int
		stage string
		ok    bool
	}{
		{"auth ok", []string{"-host", plain.Host(), "-port", port(plain), "-security", "none", "-user", "app"}, pw, exitOK, "done", true},
		{"bad password", []string{"-host", plain.Host(), "-port", port(plain), "-security", "none", "-user", "app", "-auth", "login"}, "wrong", exitFail, "auth", false},
		{"starttls insecure", []string{"-host", tlsSrv.Host(), "-port", port(tlsSrv), "-security", "starttls", "-insecure"}, "", exitOK, "done", true},
		{"starttls verified fails", []string{"-host", tlsSrv.Host(), "-port", port(tlsSrv), "-security", "starttls", "-timeout", "5s"}, "", exitFail, "tls", false},
		{"refused", []string{"-host", refused.Host(), "-port", port(refused), "-security", "tls"}, "", exitFail, "connect", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			io := &cliIO{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string {
				if k == "DESKMAIL_RELAY_PASSWORD" {
					return tc.env
				}
				return ""
			}}
			code := run(append([]string{"relay", "probe", "-json"}, tc.args...), io)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tc.code, out.String(), errb.String())
			}
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output %q: %v", out.String(), err)
			}
			for _, k := range []string{"ok", "stage", "code", "enhanced_code", "message"} {
				if _, ok := got[k]; !ok {
					t.Errorf("no %q in %s", k, out.String())
				}
			}
			if got["ok"] != tc.ok || got["stage"] != tc.stage {
				t.Fatalf("got %s", out.String())
			}
			if tc.env != "" && strings.Contains(out.String()+errb.String(), tc.env) {
				t.Fatal("password printed")
			}
		})
	}
	t.Run("human output", func(t *testing.T) {
		var out bytes.Buffer
		io := &cliIO{stdout: &out, stderr: &out, getenv: func(string) string { return pw }}
		if code := run([]string{"relay", "probe", "-host", plain.Host(), "-port", port(plain), "-security", "none", "-user", "app"}, io); code != exitOK || !strings.HasPrefix(out.String(), "ok: ") {
			t.Fatalf("exit %d: %s", code, out.String())
		}
	})
	for _, args := range [][]string{
		{"relay"},
		{"relay", "probe", "-host", "127.0.0.1"},
		{"relay", "probe", "-host", "127.0.0.1", "-port", "25", "-security", "ssl3"},
		{"relay", "probe", "-host", "127.0.0.1", "-port", "25", "-security", "none", "-user", "u"}, // no password in the environment
		{"relay", "probe", "-host", "127.0.0.1", "-port", "25", "-security", "none", "-password", "x"},
	} {
		var out bytes.Buffer
		io := &cliIO{stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
		if code := run(args, io); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
