package threading_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/threading"
)

func newThreader(t testing.TB, secrets ...[]byte) *threading.Threader {
	t.Helper()
	if len(secrets) == 0 {
		secrets = [][]byte{secretNew}
	}
	th, err := threading.New(&threading.Options{Install: "acme", Keyring: deskmail.MustKeyring(secrets...), Domain: "support.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestMessageIDRoundTrip(t *testing.T) {
	th := newThreader(t)
	for _, tok := range []threading.Token{
		{Account: "1", Ticket: "2", Message: "3"},
		{Account: "0", Ticket: "007", Message: ""},
		{Account: "18446744073709551615", Ticket: "18446744073709551616", Message: "x"},
		{Account: "3f2504e0-4f89-11d3-9a0c-0305e82c3301", Ticket: "3F2504E0-4F89-11D3-9A0C-0305E82C3301", Message: "c0ffee00-0000-4000-8000-000000000001"},
		{Account: "acme corp", Ticket: "TICKET/7", Message: "日本語"},
		{Account: "a", Ticket: strings.Repeat("x", 255), Message: "m"},
	} {
		id, err := th.MessageID(tok, "")
		if err != nil {
			t.Fatalf("T6/MessageID(%+v): %v", tok, err)
		}
		if err := deskmail.CheckHeaderValue(id); err != nil {
			t.Errorf("T6/%s: %v", id, err)
		}
		local := id[1:strings.LastIndexByte(id, '@')]
		for _, c := range local {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.') {
				t.Errorf("T6/local part %q holds %q: not a lower-case dot-atom", local, c)
				break
			}
		}
		if !threading.IsOurMessageID(id, "acme") || threading.IsOurMessageID(id, "acm") || threading.IsOurMessageID(id, "acmex") {
			t.Errorf("T6/IsOurMessageID(%s) wrong", id)
		}
		got, err := th.ParseMessageID(id)
		want := tok
		want.Install = "acme"
		if err != nil || got != want {
			t.Errorf("T6/ParseMessageID(%s) = %+v, %v; want %+v", id, got, err, want)
		}
	}
	id, _ := th.MessageID(threading.Token{Account: "1", Ticket: "2"}, "")
	if !strings.HasPrefix(id, "<dm.acme.") || !strings.HasSuffix(id, "@support.example.com>") {
		t.Errorf("T6/form: %s", id)
	}
	if len(id) > 60 {
		t.Errorf("T6/numeric ids should pack: %s is %d long", id, len(id))
	}
	uu := "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	id, _ = th.MessageID(threading.Token{Account: uu, Ticket: uu, Message: uu}, "mail.example.com")
	if len(id) > 130 || !strings.HasSuffix(id, "@mail.example.com>") {
		t.Errorf("T6/UUID ids should pack: %s is %d long", id, len(id))
	}
}

func TestMessageIDRejects(t *testing.T) {
	th := newThreader(t)
	for _, tok := range []threading.Token{{}, {Account: "a"}, {Ticket: "t"}, {Account: "a", Ticket: strings.Repeat("x", 256)}} {
		if id, err := th.MessageID(tok, ""); err == nil {
			t.Errorf("MessageID(%+v) = %s, want error", tok, id)
		}
	}
	if _, err := th.MessageID(threading.Token{Account: "a", Ticket: "b"}, "bad\r\nX-Evil: 1"); err == nil {
		t.Error("T6/CRLF in domain accepted")
	}
}

func TestParseMessageIDErrors(t *testing.T) {
	th := newThreader(t)
	id, _ := th.MessageID(threading.Token{Account: "1", Ticket: "2", Message: "3"}, "")
	at := strings.LastIndexByte(id, '@')
	for _, in := range []string{"", "<>", "<a@b>", "<dm.acme@x>", "<dm.other.abc@x>", "dm.acme.", "<dm.acmeabc@x>", "<dmxacme.abc@x>"} {
		if _, err := th.ParseMessageID(in); !errors.Is(err, threading.ErrNotOurs) {
			t.Errorf("ParseMessageID(%q) = %v, want ErrNotOurs", in, err)
		}
	}
	bad := []string{
		id[:at-1] + id[at:],               // T6/truncated by one char
		id[:at-4] + id[at:],               // truncated
		id[:len("<dm.acme.")+4] + id[at:], // truncated to a stub
		"<dm.acme.!!!!@x>",                // not base32
		"<dm.acme." + strings.Repeat("a", 2000) + "@x>",
	}
	// every single-character change of the token
	tokStart := len("<dm.acme.")
	for i := tokStart; i < at; i++ {
		c := byte('a')
		if id[i] == 'a' {
			c = 'b'
		}
		bad = append(bad, id[:i]+string(c)+id[i+1:])
	}
	for _, in := range bad {
		if tok, err := th.ParseMessageID(in); !errors.Is(err, threading.ErrInvalidToken) {
			t.Errorf("T6/tampered %q: %+v, %v; want ErrInvalidToken", in, tok, err)
		}
	}
}

func TestSecretRotation(t *testing.T) {
	old := newThreader(t, secretOld)
	rotated := newThreader(t, secretNew, secretOld)
	dropped := newThreader(t, secretNew)
	id, _ := old.MessageID(threading.Token{Account: "a", Ticket: "1"}, "")
	if _, err := rotated.ParseMessageID(id); err != nil {
		t.Errorf("T6/rotation: token of the previous secret rejected: %v", err)
	}
	if _, err := dropped.ParseMessageID(id); !errors.Is(err, threading.ErrInvalidToken) {
		t.Errorf("T6/rotation: token of a dropped secret accepted: %v", err)
	}
	newID, _ := rotated.MessageID(threading.Token{Account: "a", Ticket: "1"}, "")
	if _, err := old.ParseMessageID(newID); err == nil {
		t.Error("T6/rotation: the new secret signs (old keyring must reject)")
	}
}

func TestReplyAddress(t *testing.T) {
	th := newThreader(t)
	sup := addr(t, "Acme Support <support+billing@support.example.com>")
	a, err := th.ReplyAddress(sup, "acct1", "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	if err != nil {
		t.Fatal(err)
	}
	base, tag := deskmail.SplitSubaddress(a.Local, "+")
	if base != "support" || len(a.Local) > 64 || a.Name != "Acme Support" {
		t.Errorf("T6/ReplyAddress = %q (local %d octets)", a, len(a.Local))
	}
	tok, err := th.ParseReplyTag("acct1", tag)
	if err != nil || tok.Ticket != "3f2504e0-4f89-11d3-9a0c-0305e82c3301" || tok.Account != "acct1" {
		t.Errorf("T6/ParseReplyTag = %+v, %v", tok, err)
	}
	if _, err := th.ParseReplyTag("acct2", tag); err == nil {
		t.Error("T6/reply tag verifies for another account")
	}
	if _, err := th.ParseReplyTag("acct1", tag[:len(tag)-2]); !errors.Is(err, threading.ErrInvalidToken) {
		t.Errorf("T6/truncated reply tag: %v", err)
	}
	if _, err := th.ReplyAddress(addr(t, strings.Repeat("s", 40)+"@x.example"), "acct1", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"); err == nil {
		t.Error("local part over 64 octets accepted")
	}
	dash, err := threading.New(&threading.Options{Install: "acme", Domain: "desk.example", Keyring: deskmail.MustKeyring(secretNew), Separator: "-"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ = dash.ReplyAddress(sup, "acct1", "42")
	if !strings.HasPrefix(a.Local, "support+billing-") {
		t.Errorf("T6/separator '-': %s", a.Addr())
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		opts *threading.Options
		want error
	}{
		{"nil", nil, deskmail.ErrNoSecret},
		{"no secret", &threading.Options{Install: "a"}, deskmail.ErrNoSecret},
		{"no domain", &threading.Options{Install: "a", Keyring: deskmail.MustKeyring(secretNew)}, threading.ErrNoDomain},
		{"no install", &threading.Options{Domain: "desk.example", Keyring: deskmail.MustKeyring(secretNew)}, threading.ErrInstall},
		{"upper-case install", &threading.Options{Domain: "desk.example", Install: "Acme", Keyring: deskmail.MustKeyring(secretNew)}, threading.ErrInstall},
		{"dotted install", &threading.Options{Domain: "desk.example", Install: "a.b", Keyring: deskmail.MustKeyring(secretNew)}, threading.ErrInstall},
		{"bad tag", &threading.Options{Domain: "desk.example", Install: "a", Keyring: deskmail.MustKeyring(secretNew), SubjectTag: "#"}, nil},
		{"bad separator", &threading.Options{Domain: "desk.example", Install: "a", Keyring: deskmail.MustKeyring(secretNew), Separator: "\n"}, nil},
	}
	for _, c := range cases {
		_, err := threading.New(c.opts)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "sh0rt") || !strings.HasPrefix(err.Error(), "threading: ")) {
			t.Errorf("%s: error %q shows the secret or lacks the prefix", c.name, err)
		}
	}
}

// Secrets and token texts never reach an error, a log line or a %v.
func TestSecretsNeverShown(t *testing.T) {
	var log bytes.Buffer
	secret := []byte("TOP-SECRET-never-print-me")
	th, err := threading.New(&threading.Options{Install: "acme", Domain: "desk.example", Keyring: deskmail.MustKeyring(secret),
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := th.MessageID(threading.Token{Account: "a", Ticket: "1"}, "")
	tokText := id[len("<dm.acme."):strings.LastIndexByte(id, '@')]
	var out strings.Builder
	fmt.Fprintf(&out, "%v %+v %#v", th, th, th)
	for _, in := range []threading.Inbound{{Account: "a", InReplyTo: id}, {Account: "b", InReplyTo: id}, {Account: "a", InReplyTo: id[:20] + "x@y>"}} {
		m, err := th.Match(t.Context(), &in)
		fmt.Fprintf(&out, "%v %v", m, err)
	}
	_, err = th.ParseMessageID(id[:30] + "@x")
	fmt.Fprint(&out, err)
	_, err = deskmail.NewKeyring([]byte("short-secret"))
	fmt.Fprint(&out, err)
	all := out.String() + log.String()
	if log.Len() == 0 {
		t.Error("no debug log written")
	}
	for _, s := range []string{string(secret), "short-secret", tokText} {
		if strings.Contains(all, s) {
			t.Errorf("%q shown in output or log:\n%s", s, all)
		}
	}
}
