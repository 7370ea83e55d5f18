package compose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/compose"
)

func header(t *testing.T, raw []byte) mail.Header {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return r.Header
}

func TestComposeHeaders(t *testing.T) {
	ctx := context.Background()
	mary := addr(t, "Mary", "mary@customer.example")
	tests := []struct {
		name  string
		opts  func(*compose.Options)
		draft func(*compose.Draft)
		check func(t *testing.T, h mail.Header, m *compose.Message)
	}{
		{"A10 agent name is the From display name", nil, nil, func(t *testing.T, h mail.Header, m *compose.Message) {
			l, _ := h.AddressList("From")
			if len(l) != 1 || l[0].Name != "Brad" || l[0].Address != "support@acme.example" {
				t.Errorf("From %v", l)
			}
		}},
		{"A9 support address auto-CC'd once", func(o *compose.Options) {}, func(d *compose.Draft) {
			d.Cc = []deskmail.Address{addr(t, "", "SUPPORT@acme.example")}
		}, func(t *testing.T, h mail.Header, m *compose.Message) {
			l, _ := h.AddressList("Cc")
			if len(l) != 1 {
				t.Errorf("Cc %v, want the support address once", l)
			}
			if got := strings.Join(m.Envelope.To, ","); got != "mary@customer.example,SUPPORT@acme.example" {
				t.Errorf("envelope %s", got)
			}
		}},
		{"T1 Message-ID carries the token and In-Reply-To the thread", nil, func(d *compose.Draft) {
			d.Thread = []string{"<a@customer.example>", "b@customer.example"}
		}, func(t *testing.T, h mail.Header, m *compose.Message) {
			id, _ := h.MessageID()
			if !strings.HasPrefix(id, "dm.test.") || !strings.HasSuffix(id, "@acme.example") || id != m.MessageID || m.Envelope.MessageID != id {
				t.Errorf("Message-ID %q (message %q)", id, m.MessageID)
			}
			if h.Get("In-Reply-To") != "<b@customer.example>" || h.Get("References") != "<a@customer.example> <b@customer.example>" {
				t.Errorf("In-Reply-To %q References %q", h.Get("In-Reply-To"), h.Get("References"))
			}
		}},
		{"Reply-To is the platform address with a reply tag", nil, nil, func(t *testing.T, h mail.Header, m *compose.Message) {
			l, _ := h.AddressList("Reply-To")
			if len(l) != 1 || !strings.HasPrefix(l[0].Address, "support+") || !strings.HasSuffix(l[0].Address, "@acme.desk.example") {
				t.Errorf("Reply-To %v", l)
			}
		}},
		{"NoReplyTo leaves it out", func(o *compose.Options) { o.NoReplyTo = true }, nil, func(t *testing.T, h mail.Header, m *compose.Message) {
			if h.Has("Reply-To") {
				t.Errorf("Reply-To %q", h.Get("Reply-To"))
			}
		}},
		{"T2 ticket number in the subject when enabled", nil, nil, func(t *testing.T, h mail.Header, m *compose.Message) {
			if s, _ := h.Subject(); s != "Re: Help [#42]" {
				t.Errorf("Subject %q", s)
			}
		}},
		{"ticket number left out when the setting is off", nil, func(d *compose.Draft) {
			a := d.Account.Clone()
			a.Settings.Threading.SubjectNumber = false
			d.Account = a
		}, func(t *testing.T, h mail.Header, m *compose.Message) {
			if s, _ := h.Subject(); s != "Re: Help" {
				t.Errorf("Subject %q", s)
			}
		}},
		{"Message-ID domain from the options", func(o *compose.Options) { o.MessageIDDomain = "mail.desk.example" }, nil, func(t *testing.T, h mail.Header, m *compose.Message) {
			if !strings.HasSuffix(m.MessageID, "@mail.desk.example") {
				t.Errorf("Message-ID %q", m.MessageID)
			}
		}},
		{"mail outside a ticket: random Message-ID, no thread headers", nil, func(d *compose.Draft) { d.Ticket = "" }, func(t *testing.T, h mail.Header, m *compose.Message) {
			if !strings.HasPrefix(m.MessageID, "dm.test-") || h.Has("Reply-To") || h.Has("In-Reply-To") {
				t.Errorf("Message-ID %q, Reply-To %q", m.MessageID, h.Get("Reply-To"))
			}
		}},
		{"Sender on behalf of the platform for a domain the account does not send as", func(o *compose.Options) {
			o.PlatformSender = addr(t, "", "notifications@desk.example")
			o.SendsAs = func(ctx context.Context, account, domain string) (bool, error) { return domain == "desk.example", nil }
		}, nil, func(t *testing.T, h mail.Header, m *compose.Message) {
			if h.Get("Sender") != "notifications@desk.example" {
				t.Errorf("Sender %q", h.Get("Sender"))
			}
		}},
		{"no Sender for the account's own domain", func(o *compose.Options) {
			o.PlatformSender = addr(t, "", "notifications@desk.example")
			o.SendsAs = func(ctx context.Context, account, domain string) (bool, error) { return true, nil }
		}, nil, func(t *testing.T, h mail.Header, m *compose.Message) {
			if h.Has("Sender") {
				t.Errorf("Sender %q", h.Get("Sender"))
			}
		}},
		{"Bcc in the envelope only", nil, func(d *compose.Draft) { d.Bcc = []deskmail.Address{addr(t, "Audit", "audit@acme.example")} }, func(t *testing.T, h mail.Header, m *compose.Message) {
			if h.Has("Bcc") || !strings.Contains(strings.Join(m.Envelope.To, ","), "audit@acme.example") {
				t.Errorf("Bcc header %q, envelope %v", h.Get("Bcc"), m.Envelope.To)
			}
		}},
		{"reply kind is not Auto-Submitted and has no List-Unsubscribe", nil, func(d *compose.Draft) { d.UnsubscribeURL = "https://x.example/u" }, func(t *testing.T, h mail.Header, m *compose.Message) {
			if h.Has("Auto-Submitted") || h.Has("List-Unsubscribe") {
				t.Errorf("Auto-Submitted %q List-Unsubscribe %q", h.Get("Auto-Submitted"), h.Get("List-Unsubscribe"))
			}
		}},
		{"mass mail gets RFC 8058 one-click unsubscribe", nil, func(d *compose.Draft) {
			d.Kind = deskmail.KindMass
			d.UnsubscribeURL = "https://x.example/u?c=1"
		}, func(t *testing.T, h mail.Header, m *compose.Message) {
			if h.Get("List-Unsubscribe") != "<https://x.example/u?c=1>" || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe %q / %q", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
			}
		}},
		{"workflow mail is Auto-Submitted with X-Loop", func(o *compose.Options) { o.XLoop = "acme.desk.example" }, func(d *compose.Draft) { d.Kind = deskmail.KindWorkflow }, func(t *testing.T, h mail.Header, m *compose.Message) {
			if h.Get("Auto-Submitted") != "auto-generated" || h.Get("X-Loop") != "acme.desk.example" {
				t.Errorf("Auto-Submitted %q X-Loop %q", h.Get("Auto-Submitted"), h.Get("X-Loop"))
			}
		}},
		{"agent name that looks like an encoded word shows as typed", nil, func(d *compose.Draft) { d.Agent = "=?utf-8?q?Admin?=" }, func(t *testing.T, h mail.Header, m *compose.Message) {
			l, _ := h.AddressList("From")
			if len(l) != 1 || l[0].Name != "=?utf-8?q?Admin?=" {
				t.Errorf("From %v (raw %q)", l, h.Get("From"))
			}
		}},
		{"a subject run longer than a line is encoded in words, not cut", nil, func(d *compose.Draft) {
			d.Subject = strings.Repeat("件", 400)
			d.SMTPUTF8 = true
		}, func(t *testing.T, h mail.Header, m *compose.Message) {
			if s, _ := h.Subject(); s != strings.Repeat("件", 400)+" [#42]" {
				t.Errorf("Subject %q", s)
			}
			for _, ln := range strings.Split(string(m.Bytes), "\r\n") {
				if len(ln) > 998 {
					t.Errorf("line of %d octets", len(ln))
				}
			}
		}},
		{"subject that looks like an encoded word is encoded", nil, func(d *compose.Draft) { d.Subject = "=?utf-8?q?fake?=" }, func(t *testing.T, h mail.Header, m *compose.Message) {
			if s, _ := h.Subject(); s != "=?utf-8?q?fake?= [#42]" {
				t.Errorf("Subject %q", s)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testComposer(t, tt.opts)
			d := &compose.Draft{Account: testAccount(t), Agent: "Brad", Ticket: "42", Number: "42",
				To: []deskmail.Address{mary}, Subject: "Re: Help", Text: "Hello"}
			if tt.draft != nil {
				tt.draft(d)
			}
			m, err := c.Compose(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, header(t, m.Bytes), m)
		})
	}
}

// TestComposeRefusesBadInput: header injection through any field and
// attachments over the limit are refused with an error, never written or
// truncated.
func TestComposeRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	inj := deskmail.Address{Name: "Eve\r\nBcc: victim@x.example", Local: "eve", Domain: "x.example"}
	tests := []struct {
		name  string
		draft func(*compose.Draft)
		want  error
	}{
		{"CRLF in subject", func(d *compose.Draft) { d.Subject = "Hi\r\nBcc: victim@x.example" }, deskmail.ErrHeaderInjection},
		{"LF in agent name", func(d *compose.Draft) { d.Agent = "Brad\nX-Evil: 1" }, deskmail.ErrHeaderInjection},
		{"CRLF in a To display name", func(d *compose.Draft) { d.To = []deskmail.Address{inj} }, deskmail.ErrHeaderInjection},
		{"CR in a Cc local part", func(d *compose.Draft) { d.Cc = []deskmail.Address{{Local: "a\rb", Domain: "x.example"}} }, deskmail.ErrHeaderInjection},
		{"LF in a Bcc domain", func(d *compose.Draft) { d.Bcc = []deskmail.Address{{Local: "a", Domain: "x.example\nX: y"}} }, deskmail.ErrHeaderInjection},
		{"NUL in the ticket number", func(d *compose.Draft) { d.Number = "4\x002" }, deskmail.ErrHeaderInjection},
		{"CRLF in a thread id", func(d *compose.Draft) { d.Thread = []string{"a@b\r\nX: y"} }, deskmail.ErrHeaderInjection},
		{"CRLF in the parent id", func(d *compose.Draft) { d.Parent = "a@b\r\nX: y" }, deskmail.ErrHeaderInjection},
		{"CRLF in an attachment filename", func(d *compose.Draft) {
			d.Attachments = []compose.Attachment{{Filename: "a.pdf\r\nX: y", Data: []byte("x")}}
		}, deskmail.ErrHeaderInjection},
		{"CRLF in an attachment type", func(d *compose.Draft) {
			d.Attachments = []compose.Attachment{{Filename: "a.pdf", ContentType: "text/plain\r\nX: y", Data: []byte("x")}}
		}, deskmail.ErrHeaderInjection},
		{"CRLF in a Content-ID", func(d *compose.Draft) {
			d.HTML = "<p>x</p>"
			d.Attachments = []compose.Attachment{{Filename: "a.png", ContentID: "a\r\nX: y", Data: []byte("x")}}
		}, deskmail.ErrHeaderInjection},
		{"CRLF in the unsubscribe URL", func(d *compose.Draft) { d.UnsubscribeURL = "https://x.example/\r\nX: y" }, deskmail.ErrHeaderInjection},
		{"attachment over the limit", func(d *compose.Draft) {
			d.Attachments = []compose.Attachment{{Filename: "big.bin", Data: make([]byte, 1025)}}
		}, compose.ErrAttachmentTooLarge},
		{"attachments together over the limit", func(d *compose.Draft) {
			d.Attachments = []compose.Attachment{{Filename: "a.bin", Data: make([]byte, 600)}, {Filename: "b.bin", Data: make([]byte, 600)}}
		}, compose.ErrAttachmentTooLarge},
		{"non-ASCII local part without SMTPUTF8", func(d *compose.Draft) {
			d.To = []deskmail.Address{{Local: "山田", Domain: "customer.example"}}
		}, compose.ErrNeedsSMTPUTF8},
		{"no recipients", func(d *compose.Draft) { d.To = nil }, compose.ErrNoRecipients},
		{"no account", func(d *compose.Draft) { d.Account = nil }, compose.ErrNoAccount},
		{"no sender address", func(d *compose.Draft) { d.Account = &alias.Account{ID: "empty"} }, alias.ErrNoSender},
	}
	c := testComposer(t, func(o *compose.Options) { o.MaxAttachmentSize = 1024 })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &compose.Draft{Account: testAccount(t), Agent: "Brad", Ticket: "42", Number: "42",
				To: []deskmail.Address{addr(t, "Mary", "mary@customer.example")}, Subject: "Re: Help", Text: "Hello"}
			tt.draft(d)
			m, err := c.Compose(ctx, d)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if m != nil {
				t.Fatal("a message was returned with the error")
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error text holds CR or LF: %q", err)
			}
		})
	}
}

func TestNewRequiresThreaderAndDomain(t *testing.T) {
	if _, err := compose.New(nil); !errors.Is(err, compose.ErrNoThreader) {
		t.Errorf("New(nil) = %v", err)
	}
	for _, d := range []string{"example.invalid", "[192.0.2.1]", "localhost"} {
		if _, err := compose.New(&compose.Options{Threader: testThreader(t), MessageIDDomain: d}); !errors.Is(err, compose.ErrNoMessageIDDomain) {
			t.Errorf("MessageIDDomain %q: %v", d, err)
		}
	}
	if _, err := compose.New(&compose.Options{Threader: testThreader(t), XLoop: "x\r\nBcc: y"}); !errors.Is(err, deskmail.ErrHeaderInjection) {
		t.Errorf("XLoop with CRLF: %v", err)
	}
	// Without MessageIDDomain the From domain is used; a From on a .invalid
	// domain fails at Compose.
	a := &alias.Account{ID: "t"}
	if err := a.AddAddress(alias.SupportAddress{Address: "support@test.invalid"}); err != nil {
		t.Fatal(err)
	}
	c := testComposer(t, nil)
	_, err := c.Compose(context.Background(), &compose.Draft{Account: a, To: []deskmail.Address{addr(t, "", "x@y.example")}, Text: "x"})
	if !errors.Is(err, compose.ErrNoMessageIDDomain) {
		t.Errorf("From on .invalid: %v", err)
	}
}

// TestSentJSON: what a host logs of a send has snake_case keys and never
// the message content.
func TestSentJSON(t *testing.T) {
	c := testComposer(t, nil)
	m, err := c.Compose(context.Background(), &compose.Draft{Account: testAccount(t), Ticket: "1",
		To: []deskmail.Address{addr(t, "", "mary@customer.example")}, Subject: "Hi", Text: "secret body text"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(compose.Sent{Message: m, Result: &deskmail.Result{}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("secret body")) || !bytes.Contains(b, []byte(`"message_id":"`+m.MessageID+`"`)) || !bytes.Contains(b, []byte(`"header_from":"support@acme.example"`)) {
		t.Errorf("JSON %s", b)
	}
}
