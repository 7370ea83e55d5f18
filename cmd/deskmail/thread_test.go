package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runThreadCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &cliIO{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

const testMbox = `From alice@example.com Mon Jan  5 10:00:00 2026
Message-ID: <a@example.com>
Subject: Lunch?
Date: Mon, 5 Jan 2026 10:00:00 +0000

Shall we?

From bob@example.com Mon Jan  5 10:05:00 2026
Message-ID: <b@example.com>
In-Reply-To: <a@example.com>
References: <a@example.com>
Subject: Re: Lunch?
Date: Mon, 5 Jan 2026 10:05:00 +0000

Yes.
>From here on, quoted.

From carol@example.com Mon Jan  5 11:00:00 2026
Message-ID: <c@example.com>
References: <lost@example.com>
Subject: =?UTF-8?Q?AW:_R=C3=BCckfrage?=
Date: Mon, 5 Jan 2026 11:00:00 +0000

text
From inside the body, not after a blank line
`

func TestThreadCommand(t *testing.T) {
	dir := t.TempDir()
	mbox := filepath.Join(dir, "box.mbox")
	if err := os.WriteFile(mbox, []byte(testMbox), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("T8/human", func(t *testing.T) {
		code, out, errs := runThreadCLI(t, "", "thread", mbox)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		want := mbox + ": 3 messages, 2 threads\n" +
			"  Lunch?  <a@example.com>  2026-01-05T10:00:00Z\n" +
			"    Re: Lunch?  <b@example.com>  2026-01-05T10:05:00Z\n" +
			"  AW: Rückfrage  <c@example.com>  2026-01-05T11:00:00Z\n"
		if out != want {
			t.Errorf("got\n%s\nwant\n%s", out, want)
		}
	})
	t.Run("T8/json from stdin", func(t *testing.T) {
		code, out, _ := runThreadCLI(t, testMbox, "thread", "-json", "-")
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
		var got threadJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got.File != "-" || got.Messages != 3 || len(got.Threads) != 2 || got.Threads[0].MessageID != "a@example.com" ||
			len(got.Threads[0].Children) != 1 || got.Threads[0].Children[0].MessageID != "b@example.com" {
			t.Errorf("json: %s", out)
		}
		if !strings.Contains(out, `"message_id":"a@example.com"`) || !strings.Contains(out, `"children":[`) {
			t.Errorf("snake_case fields missing: %s", out)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		code, out, errs := runThreadCLI(t, "", "thread", "-json", filepath.Join(dir, "nope"))
		if code != exitFail || !strings.Contains(out, `"error"`) || errs == "" {
			t.Errorf("exit %d, out %q, err %q", code, out, errs)
		}
	})
	t.Run("empty stdin is an error", func(t *testing.T) {
		if code, _, errs := runThreadCLI(t, "", "thread"); code != exitFail || !strings.Contains(errs, "empty input") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("T8/no-subject and a bare message", func(t *testing.T) {
		bare := "Message-ID: <x@y>\r\nSubject: hi\r\n\r\nbody\r\n"
		code, out, _ := runThreadCLI(t, bare, "thread", "-no-subject", "-")
		if code != exitOK || !strings.Contains(out, "1 messages, 1 threads") || !strings.Contains(out, "hi  <x@y>  -") {
			t.Errorf("exit %d: %s", code, out)
		}
	})
}
