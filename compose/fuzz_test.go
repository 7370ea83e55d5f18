package compose_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/compose"
)

// FuzzCompose: whatever the agent name, subject and body, Compose either
// refuses the input (header injection) or writes a mail whose lines stay
// within 998 octets, that go-message parses back to the same From name,
// subject and text.
func FuzzCompose(f *testing.F) {
	f.Add("Jürgen Müller", "Re: 注文が届きません", "Hello\nworld", false)
	f.Add("=?utf-8?q?Admin?=", "=?utf-8?b?Zm9v?= and more", "=_boundary?", false)
	f.Add("Zoë \"Z\" O'Brien, Ops", strings.Repeat("long subject ", 20), strings.Repeat("x", 300), true)
	f.Add("Tab\there", "a\tb  c", "trailing  \n", false)
	f.Add("山田 太郎", "件名", "本文です。", true)
	c := testComposer(f, nil)
	acct := testAccount(f)
	acct.Settings.AutoCC = false
	acct.Settings.Threading.SubjectNumber = false
	mary := addr(f, "Mary", "mary@customer.example")
	f.Fuzz(func(t *testing.T, name, subject, text string, u8 bool) {
		if !utf8.ValidString(name) || !utf8.ValidString(subject) || !utf8.ValidString(text) || len(subject) > 2000 || len(name) > 200 {
			t.Skip()
		}
		m, err := c.Compose(context.Background(), &compose.Draft{Account: acct, Agent: name, Ticket: "1",
			To: []deskmail.Address{mary}, Subject: subject, Text: text, SMTPUTF8: u8})
		if err != nil {
			if !errors.Is(err, deskmail.ErrHeaderInjection) {
				t.Fatalf("unexpected error %v", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error holds CR/LF: %q", err)
			}
			return
		}
		for _, ln := range strings.Split(string(m.Bytes), "\r\n") {
			if len(ln) > 998 || strings.ContainsAny(ln, "\r\n") {
				t.Fatalf("bad line %q", ln)
			}
		}
		r, err := mail.CreateReader(bytes.NewReader(m.Bytes))
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Header.Subject()
		if err != nil || norm(got) != norm(subject) {
			t.Errorf("subject %q, want %q (%v)", got, subject, err)
		}
		if n := strings.TrimSpace(name); n != "" {
			from, err := r.Header.AddressList("From")
			if err != nil || len(from) != 1 || norm(from[0].Name) != norm(n) {
				t.Errorf("From %v, want name %q (%v)\n%s", from, n, err, m.Bytes)
			}
		}
		p, err := r.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p.Body)
		want := strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
		if g := strings.ReplaceAll(string(body), "\r\n", "\n"); strings.TrimRight(g, "\n") != strings.TrimRight(want, "\n") {
			t.Errorf("body %q, want %q", g, want)
		}
	})
}

// norm trims and collapses white space: header parsers trim values.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }
