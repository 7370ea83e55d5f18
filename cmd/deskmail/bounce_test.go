package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBounceParseCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bounce", "parse", "-json", "../../bounce/testdata/sisimai/bsd/lhost-postfix-01.eml", "../../bounce/testdata/sisimai/not/is-not-bounce-01.eml"},
		&cliIO{stdout: &out, stderr: &errb, stdin: strings.NewReader("")})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out.String())
	}
	var first, second bounceJSON
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	if !first.Bounce || len(first.Recipients) != 1 || first.Recipients[0].Address != "r@p351355.pool.example.ne.jp" || first.Recipients[0].Status != "5.1.1" {
		t.Errorf("bounce = %+v", first)
	}
	if second.Bounce || len(second.Recipients) != 0 {
		t.Errorf("not a bounce = %+v", second)
	}
	for _, k := range []string{`"file"`, `"bounce"`, `"feedback_type"`, `"original_message_id"`, `"reply_code"`, `"severity"`, `"diagnostic"`} {
		if !strings.Contains(lines[0], k) {
			t.Errorf("JSON lacks %s", k)
		}
	}

	out.Reset()
	if code := run([]string{"bounce", "parse", "-"}, &cliIO{stdout: &out, stderr: &errb, stdin: strings.NewReader("From: a@b.example\n\nhello\n")}); code != exitOK {
		t.Errorf("stdin exit %d", code)
	}
	if !strings.Contains(out.String(), "not a report") {
		t.Errorf("human output %q", out.String())
	}
	if code := run([]string{"bounce", "parse", "/nonexistent"}, &cliIO{stdout: &out, stderr: &errb}); code != exitFail {
		t.Errorf("missing file exit %d", code)
	}
	if code := run([]string{"bounce"}, &cliIO{stdout: &out, stderr: &errb}); code != exitUsage {
		t.Errorf("no subcommand exit %d", code)
	}
}

func TestBounceReplyCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bounce", "reply", "-json", "550", "5.1.1", "<x@example.com>: Recipient address rejected: User unknown"}, &cliIO{stdout: &out, stderr: &errb})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r replyJSON
	json.Unmarshal(out.Bytes(), &r)
	if r.Reason != "userunknown" || r.Severity != "hard" || r.Temporary {
		t.Errorf("reply = %+v", r)
	}
	out.Reset()
	run([]string{"bounce", "reply", "452", "4.2.2", "Mailbox full"}, &cliIO{stdout: &out, stderr: &errb})
	if !strings.Contains(out.String(), "mailboxfull") || !strings.Contains(out.String(), "soft") {
		t.Errorf("human output %q", out.String())
	}
	if code := run([]string{"bounce", "reply", "abc", "", "x"}, &cliIO{stdout: &out, stderr: &errb}); code != exitUsage {
		t.Errorf("bad code exit %d", code)
	}
}
