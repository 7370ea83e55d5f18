package threading_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/threading"
)

func TestHeaders(t *testing.T) {
	th := newThreader(t)
	ours1, _ := th.MessageID(threading.Token{Account: "a", Ticket: "42", Message: "1"}, "")
	h, err := th.Headers(threading.Outgoing{
		Account: "a", Ticket: "42", Message: "2", Number: "123",
		Subject: "Re: Refund", Parent: "<cust-2@example.net>",
		Thread:  []string{"<cust-1@example.net>", ours1, "0100018c@email.amazonses.com", "<cust-2@example.net>"},
		Support: addr(t, "Acme <support@support.example.com>"),
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := th.ParseMessageID(h.MessageID)
	if err != nil || tok.Ticket != "42" || tok.Message != "2" {
		t.Errorf("T6/Message-ID %s: %+v, %v", h.MessageID, tok, err)
	}
	if h.InReplyTo != "<cust-2@example.net>" {
		t.Errorf("In-Reply-To = %q", h.InReplyTo)
	}
	wantRefs := "<cust-1@example.net> " + ours1 + " <0100018c@email.amazonses.com> <cust-2@example.net>"
	if h.References != wantRefs {
		t.Errorf("T6/References = %q\nwant %q", h.References, wantRefs)
	}
	if h.Subject != "Re: Refund [#123]" {
		t.Errorf("T6/Subject = %q", h.Subject)
	}
	ra, err := deskmail.ParseAddress(h.ReplyTo)
	if err != nil || !strings.HasPrefix(ra.Local, "support+") || ra.Name != "Acme" {
		t.Errorf("T6/Reply-To = %q (%v)", h.ReplyTo, err)
	}
	if _, err := th.ParseReplyTag("a", ra.Tag("+")); err != nil {
		t.Errorf("T6/Reply-To tag does not verify: %v", err)
	}
	for _, v := range []string{h.MessageID, h.InReplyTo, h.References, h.ReplyTo, h.Subject} {
		if err := deskmail.CheckHeaderValue(v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestHeadersFirstMailAndDefaults(t *testing.T) {
	th := newThreader(t)
	h, err := th.Headers(threading.Outgoing{Account: "a", Ticket: "42", Subject: "Your request"})
	if err != nil {
		t.Fatal(err)
	}
	if h.InReplyTo != "" || h.References != "" || h.ReplyTo != "" || h.Subject != "Your request" {
		t.Errorf("first mail: %+v", h)
	}
	tok, err := th.ParseMessageID(h.MessageID)
	if err != nil || tok.Message == "" {
		t.Errorf("random message id: %+v %v", tok, err)
	}
	h2, _ := th.Headers(threading.Outgoing{Account: "a", Ticket: "42"})
	if h2.MessageID == h.MessageID {
		t.Error("two Message-IDs without a message id are equal")
	}
	// Without a parent, In-Reply-To is the last id of the thread: our own
	// earlier mail for a notification.
	h, _ = th.Headers(threading.Outgoing{Account: "a", Ticket: "42", Thread: []string{"<a@x>", h.MessageID}})
	if h.InReplyTo != h2.MessageID && h.InReplyTo == "" {
		t.Errorf("In-Reply-To without parent = %q", h.InReplyTo)
	}
}

func TestHeadersParentMovesLastAndTrim(t *testing.T) {
	th := newThreader(t)
	var thread []string
	for i := 0; i < 30; i++ {
		thread = append(thread, fmt.Sprintf("<m%d@x>", i))
	}
	h, err := th.Headers(threading.Outgoing{Account: "a", Ticket: "1", Thread: thread, Parent: "<m5@x>"})
	if err != nil {
		t.Fatal(err)
	}
	refs := threading.ParseMessageIDs(h.References)
	if len(refs) != threading.DefaultMaxReferences || refs[0] != "m0@x" || refs[len(refs)-1] != "m5@x" {
		t.Errorf("References trimmed = %v", refs)
	}
	if strings.Count(h.References, "<m5@x>") != 1 {
		t.Errorf("parent repeated: %s", h.References)
	}
}

func TestHeadersRejectInjection(t *testing.T) {
	th := newThreader(t)
	for name, o := range map[string]threading.Outgoing{
		"subject":    {Account: "a", Ticket: "1", Subject: "hi\r\nBcc: victim@example.com"},
		"number":     {Account: "a", Ticket: "1", Number: "1\n2"},
		"parent":     {Account: "a", Ticket: "1", Parent: "<a@b>\r\nX: y"},
		"thread":     {Account: "a", Ticket: "1", Thread: []string{"<a@b>\nX: y"}},
		"domain":     {Account: "a", Ticket: "1", Domain: "x.example\r\nX: y"},
		"reply name": {Account: "a", Ticket: "1", Support: deskmail.Address{Name: "A\r\nX: y", Local: "support", Domain: "x.example"}},
	} {
		h, err := th.Headers(o)
		if name == "reply name" {
			// Names are encoded, never injected.
			if err != nil || strings.ContainsAny(h.ReplyTo, "\r\n") {
				t.Errorf("%s: %q, %v", name, h.ReplyTo, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: CR/LF accepted: %+v", name, h)
		} else if !errors.Is(err, deskmail.ErrHeaderInjection) && name != "domain" {
			t.Errorf("%s: %v, want ErrHeaderInjection", name, err)
		}
	}
	if _, err := th.Headers(threading.Outgoing{Account: "a", Ticket: "1", Thread: []string{"<a b@c>"}}); err == nil {
		t.Error("id with a space accepted")
	}
}

func TestSubjectTag(t *testing.T) {
	th := newThreader(t)
	for _, c := range []struct{ subject, number, want string }{
		{"Refund", "123", "Refund [#123]"},
		{"Re: Refund [#123]", "123", "Re: Refund [#123]"},
		{"", "9", "[#9]"},
		{"Refund [#12]", "123", "Refund [#12] [#123]"},
	} {
		h, err := th.Headers(threading.Outgoing{Account: "a", Ticket: "1", Subject: c.subject, Number: c.number})
		if err != nil || h.Subject != c.want {
			t.Errorf("T6/tag(%q, %s) = %q, %v; want %q", c.subject, c.number, h.Subject, err, c.want)
		}
	}
	for _, c := range []struct{ subject, want string }{
		{"Re: Refund [#123]", "123"},
		{"[#12] then [#34]", "34"},
		{"Re: Refund [#123", ""},
		{"Re: Refund [# 123]", ""},
		{"no tag #123", ""},
		{"=?UTF-8?Q?R=C3=BCckfrage_[#77]?=", "77"},
		{"[#ABC-9]", "ABC-9"},
	} {
		if got := th.SubjectNumber(c.subject); got != c.want {
			t.Errorf("T2/SubjectNumber(%q) = %q, want %q", c.subject, got, c.want)
		}
	}
	custom, err := threading.New(&threading.Options{Install: "acme", Domain: "desk.example", Keyring: deskmail.MustKeyring(secretNew), SubjectTag: "[Ticket #%s]"})
	if err != nil {
		t.Fatal(err)
	}
	if got := custom.SubjectTag("5"); got != "[Ticket #5]" {
		t.Errorf("custom tag = %q", got)
	}
	if got := custom.SubjectNumber("RE: help [ticket #5]"); got != "5" {
		t.Errorf("custom tag, other case: %q", got)
	}
	if got := custom.SubjectNumber("help [#5]"); got != "" {
		t.Errorf("default tag found with a custom format: %q", got)
	}
	zoho, _ := threading.New(&threading.Options{Install: "acme", Domain: "desk.example", Keyring: deskmail.MustKeyring(secretNew), SubjectTag: "##%s##"})
	if got := zoho.SubjectNumber("Re: issue ##1234##"); got != "1234" {
		t.Errorf("##%%s## tag: %q", got)
	}
}
