package autoreply_test

import (
	"bufio"
	"context"
	"net/textproto"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/autoreply"
)

// FuzzDetect feeds arbitrary header blocks to Detect: no panic, a Reason
// always, a deciding header whenever the class is not None, and a loop
// only from our own markers.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"Auto-Submitted: no\r\n\r\n",
		"Auto-Submitted: auto-replied\r\nX-Loop: support@desk.example\r\n\r\n",
		"Precedence: bulk\r\nList-Id: <x>\r\n\r\n",
		"X-Auto-Response-Suppress: DR, OOF\r\n\r\n",
		"Return-Path: <>\r\nFrom: MAILER-DAEMON@x\r\n\r\n",
		"Message-ID: <a.b.dm1@desk.example>\r\n\r\n",
		"Subject: Automatic reply: x\r\n\r\n",
	} {
		f.Add(s)
	}
	opts := &autoreply.Options{
		XLoop: "support@desk.example",
		OwnMessageID: func(_ context.Context, id string) (bool, error) {
			return strings.HasSuffix(id, ".dm1@desk.example"), nil
		},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(raw))).ReadMIMEHeader()
		if err != nil && len(h) == 0 {
			return
		}
		r, err := autoreply.Detect(context.Background(), h, opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Reason == "" {
			t.Fatal("empty Reason")
		}
		if r.Automatic() != (r.Class != autoreply.None) || (r.Class != autoreply.None && r.Header == "") {
			t.Fatalf("inconsistent result %+v", r)
		}
		if len(r.Value) > 200 || deskmail.Sanitize(r.Value) != r.Value || deskmail.Sanitize(r.Reason) != r.Reason {
			t.Fatalf("Value longer than 200 bytes, or unsanitised text: %+v", r)
		}
		if r.Class == autoreply.Loop && r.Header != "X-Loop" && r.Header != "Message-ID" {
			t.Fatalf("loop decided by %q", r.Header)
		}
	})
}
