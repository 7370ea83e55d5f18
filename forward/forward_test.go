package forward

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestForwardSubjects(t *testing.T) {
	// F1: the crisp *_subject*.txt files carry the forward marker only in
	// the subject; every one but the "Re:" variants must read as a forward.
	files, err := filepath.Glob(filepath.Join("testdata", "crisp", "*_subject*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatal("no subject fixtures", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.TrimSpace(string(b))
		want := !strings.HasPrefix(s, "Re:")
		if got := IsForwardSubject(s); got != want {
			t.Errorf("F1/%s: IsForwardSubject(%q) = %v, want %v", filepath.Base(f), s, got, want)
		}
	}
	for s, want := range map[string]bool{
		"[ext] Fwd: hello": true, "Fwd[2]: x": true, "AW: x": false, "Re: Fwd: x": false,
		"Forward planning": false, "": false, "转发：你好": true, "I: conto": true,
	} {
		if got := IsForwardSubject(s); got != want {
			t.Errorf("F1/IsForwardSubject(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestParseText(t *testing.T) {
	tests := []struct {
		name, subject, body string
		forwarded           bool
		from, fromName      string
		subj, note, bodyHas string
		to, cc              int
	}{
		{
			name: "F1/gmail separator with note", subject: "Fwd: Order",
			body:      "see below\n\n---------- Forwarded message ---------\nFrom: Ann Lee <ann@example.com>\nDate: Wed, 27 Oct 2021 09:31:00 +0000\nSubject: Order\nTo: <desk@example.org>, bob@example.org\nCc: Carl <carl@example.net>\n\nhello there\n",
			forwarded: true, from: "ann@example.com", fromName: "Ann Lee", subj: "Order", note: "see below", bodyHas: "hello there", to: 2, cc: 1,
		},
		{
			name: "F1/outlook classic original message with mailto", subject: "FW: invoice",
			body:      "-----Original Message-----\nFrom: Doe, Jane [mailto:jane@example.com]\nSent: Monday, March 1, 2021 10:00 AM\nTo: Desk <desk@example.org>\nSubject: invoice\n\nplease pay\n",
			forwarded: true, from: "jane@example.com", fromName: "Doe, Jane", subj: "invoice", bodyHas: "please pay", to: 1,
		},
		{
			name: "F1/original message under a reply subject is a reply", subject: "RE: invoice",
			body: "ok\n\n-----Original Message-----\nFrom: Jane <jane@example.com>\nSent: Monday\nTo: desk@example.org\nSubject: invoice\n\nplease pay\n",
		},
		{
			name: "F1/bare header block needs a forward subject", subject: "invoice",
			body: "From: Jane <jane@example.com>\nSent: Monday\nTo: desk@example.org\nSubject: invoice\n\nplease pay\n",
		},
		{
			name: "F1/attribution line needs a forward subject", subject: "Re: x",
			body: "On Mon, Jane <jane@example.com> wrote:\n> hi\n",
		},
		{
			name: "F1/separator without a sender address is no forward", subject: "Fwd: x",
			body: "---------- Forwarded message ---------\nFrom: Jane\nDate: today\n\nhi\n",
		},
		{
			name: "F1/quoted apple forward keeps body unquoted", subject: "",
			body:      "> Begin forwarded message:\n>\n> From: \"Jane\" <jane@example.com>\n> Subject: Hi\n> Date: 1 May 2021\n> To: desk@example.org\n>\n> line one\n> line two\n",
			forwarded: true, from: "jane@example.com", fromName: "Jane", subj: "Hi", bodyHas: "line one\nline two", to: 1,
		},
		{
			name: "F1/CRLF and BOM", subject: "",
			body:      "\ufeff---------- Forwarded message ---------\r\nFrom: Jane <jane@example.com>\r\nTo: a@example.org\r\n\r\nhi\r\n",
			forwarded: true, from: "jane@example.com", fromName: "Jane", bodyHas: "hi", to: 1,
		},
		{
			name: "F1/plain mail", subject: "Question", body: "Hello, my printer is broken.\nFrom: me\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := text(tc.subject, tc.body, nil)
			if got.Forwarded != tc.forwarded {
				t.Fatalf("Forwarded = %v (%s), want %v", got.Forwarded, got.Evidence, tc.forwarded)
			}
			if !tc.forwarded {
				if got.From.Local != "" || got.Method != MethodNone {
					t.Errorf("not a forward but From = %v, Method %q", got.From, got.Method)
				}
				return
			}
			if got.From.Addr() != tc.from || got.From.Name != tc.fromName {
				t.Errorf("From = %q <%s>, want %q <%s>", got.From.Name, got.From.Addr(), tc.fromName, tc.from)
			}
			if got.Subject != tc.subj {
				t.Errorf("Subject = %q, want %q", got.Subject, tc.subj)
			}
			if got.Note != tc.note {
				t.Errorf("Note = %q, want %q", got.Note, tc.note)
			}
			if !strings.Contains(got.Body, tc.bodyHas) || strings.Contains(got.Body, "From:") {
				t.Errorf("Body = %q, want it to hold %q and no header", got.Body, tc.bodyHas)
			}
			if len(got.To) != tc.to || len(got.Cc) != tc.cc {
				t.Errorf("To %v Cc %v, want %d and %d", got.To, got.Cc, tc.to, tc.cc)
			}
			if got.Method != MethodInline || got.Evidence == "" {
				t.Errorf("Method %q Evidence %q", got.Method, got.Evidence)
			}
		})
	}
}

func TestParseTextDate(t *testing.T) {
	got := text("", "---------- Forwarded message ---------\nFrom: a@example.com\nDate: Wed, 3 Nov 2021 15:51:30 +0100\n\nx", nil)
	want := time.Date(2021, 11, 3, 14, 51, 30, 0, time.UTC)
	if !got.Time.Equal(want) || got.Date != "Wed, 3 Nov 2021 15:51:30 +0100" {
		t.Errorf("F1/date: Time %v Date %q", got.Time, got.Date)
	}
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		forwarded bool
		method    Method
		from      string
		forwarder string
		subject   string
		bodyHas   string
		noteHas   string
	}{
		{
			name:      "F1/inline plain",
			raw:       "From: Agent <agent@desk.example>\nTo: support@desk.example\nSubject: Fwd: Broken\nContent-Type: text/plain; charset=utf-8\n\nFYI\n\n---------- Forwarded message ---------\nFrom: Cust Omer <cust@example.com>\nDate: Wed, 27 Oct 2021 at 9:31 AM\nSubject: Broken\nTo: <agent@desk.example>\n\nIt is broken.\n",
			forwarded: true, method: MethodInline, from: "cust@example.com", forwarder: "agent@desk.example", subject: "Broken", bodyHas: "It is broken.", noteHas: "FYI",
		},
		{
			name:      "F1/html only, quoted-printable",
			raw:       "From: agent@desk.example\nSubject: Fwd: Broken\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<div>FYI</div><div class=3D\"gmail_quote\"><div>---------- Forwarded message ---------<br>From: <b>Cust =C3=96mer</b> <span>&lt;<a href=3D\"mailto:cust@example.com\">cust@example.com</a>&gt;</span><br>Date: Wed<br>Subject: Broken<br>To: &lt;agent@desk.example&gt;<br></div><br><div>It is broken.</div></div>\n",
			forwarded: true, method: MethodInline, from: "cust@example.com", forwarder: "agent@desk.example", subject: "Broken", bodyHas: "It is broken.", noteHas: "FYI",
		},
		{
			name:      "F1/multipart prefers text/plain",
			raw:       "From: agent@desk.example\nSubject: FW: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n-----Original Message-----\nFrom: Plain <plain@example.com>\nSent: now\nTo: a@desk.example\n\nplain body\n--b\nContent-Type: text/html\n\n<p>-----Original Message-----<br>From: Html &lt;html@example.com&gt;<br>Sent: now</p>\n--b--\n",
			forwarded: true, method: MethodInline, from: "plain@example.com", forwarder: "agent@desk.example", bodyHas: "plain body",
		},
		{
			name:      "F1/attached message/rfc822",
			raw:       "From: agent@desk.example\nSubject: FW: Broken\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=orig.eml\n\nFrom: =?utf-8?q?Cust_=C3=96mer?= <cust@example.com>\nTo: agent@desk.example\nCc: boss@example.com\nSubject: =?utf-8?q?Kaputt_=C3=BC?=\nDate: Wed, 03 Nov 2021 15:51:30 +0100\nContent-Type: text/plain\n\nIt is broken.\n--b--\n",
			forwarded: true, method: MethodAttached, from: "cust@example.com", forwarder: "agent@desk.example", subject: "Kaputt ü", bodyHas: "It is broken.", noteHas: "see attached",
		},
		{
			name:      "F1/resent",
			raw:       "Resent-From: Agent <agent@desk.example>\nResent-To: support@desk.example\nResent-Date: Thu, 04 Nov 2021 10:00:00 +0000\nFrom: Cust <cust@example.com>\nTo: agent@desk.example\nSubject: Broken\nDate: Wed, 03 Nov 2021 15:51:30 +0100\n\nIt is broken.\n",
			forwarded: true, method: MethodResent, from: "cust@example.com", forwarder: "agent@desk.example", subject: "Broken", bodyHas: "It is broken.",
		},
		{
			name:      "F1/not a forward",
			raw:       "From: cust@example.com\nSubject: Help\n\nMy printer is broken.\n",
			forwarder: "cust@example.com", subject: "Help",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(crlf(tc.raw)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Forwarded != tc.forwarded || got.Method != tc.method {
				t.Fatalf("Forwarded %v Method %q (%s), want %v %q", got.Forwarded, got.Method, got.Evidence, tc.forwarded, tc.method)
			}
			if tc.forwarded && got.From.Addr() != tc.from {
				t.Errorf("From = %s, want %s", got.From.Addr(), tc.from)
			}
			if got.Forwarder.Addr() != tc.forwarder {
				t.Errorf("Forwarder = %s, want %s", got.Forwarder.Addr(), tc.forwarder)
			}
			if tc.subject != "" && got.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", got.Subject, tc.subject)
			}
			if !strings.Contains(got.Body, tc.bodyHas) {
				t.Errorf("Body = %q, want %q in it", got.Body, tc.bodyHas)
			}
			if !strings.Contains(got.Note, tc.noteHas) {
				t.Errorf("Note = %q, want %q in it", got.Note, tc.noteHas)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	_, err := Parse(strings.NewReader("this is : not\x00 a header\n\xff"), nil)
	if err != nil && !errors.Is(err, ErrMalformed) {
		t.Errorf("F1/malformed: error %v does not wrap ErrMalformed", err)
	}
	_, err = Parse(strings.NewReader(""), nil)
	if err != nil && !errors.Is(err, ErrMalformed) {
		t.Errorf("F1/empty: error %v does not wrap ErrMalformed", err)
	}
}

func TestHostileInputBounded(t *testing.T) {
	// F1: long lines, thousands of separators and colons must stay linear.
	var b strings.Builder
	for b.Len() < 2<<20 {
		b.WriteString("---------- Forwarded message --------- From:")
		b.WriteString(strings.Repeat("a:", 200))
		b.WriteString("\n> > > From: x\n" + strings.Repeat("_", 20) + "\n")
	}
	got := text("Fwd: x", b.String(), nil)
	if got.Forwarded {
		t.Errorf("F1/hostile: forwarded from %v", got.From)
	}
	// the scan cap holds: a forward below MaxScan bytes is not seen
	body := strings.Repeat("x\n", 1000) + "---------- Forwarded message ---------\nFrom: a@example.com\n\nhi"
	if got := text("", body, &Options{MaxScan: 1000}); got.Forwarded {
		t.Error("F1/MaxScan: forward past the cap was found")
	}
	if got := text("", body, nil); !got.Forwarded {
		t.Error("F1/MaxScan: forward within the default cap was missed")
	}
}

func TestParseHTMLWhenPlainIsAStub(t *testing.T) {
	raw := crlf("From: agent@desk.example\nSubject: FW: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nThis message is in HTML.\n--b\nContent-Type: text/html\n\n<div style=\"border-top:solid #E1E1E1 1.0pt\"><p class=MsoNormal><b>From:</b> Ann Lee &lt;ann@example.com&gt;<br><b>Sent:</b> Monday, April 1, 2024 10:00 AM<br><b>To:</b> Desk &lt;desk@example.org&gt;<br><b>Subject:</b> x</p></div><p>body</p>\n--b--\n")
	got, err := Parse(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Forwarded || got.From.Addr() != "ann@example.com" || got.From.Name != "Ann Lee" || !strings.Contains(got.Body, "body") {
		t.Errorf("F1/Outlook HTML behind a plain stub: %+v", got)
	}
}
