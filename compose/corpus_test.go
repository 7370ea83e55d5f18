package compose_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/dkim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// corpus is the composed-mail corpus: each draft is composed, compared
// with testdata/NAME.eml, parsed back by go-message and Python, and signed
// and verified with python3-dkim.
func corpus(t testing.TB) []struct {
	name  string
	draft compose.Draft
} {
	acct := testAccount(t)
	mary := addr(t, "Mary", "mary@customer.example")
	taro := addr(t, "山田 太郎", "taro@customer.example")
	long := strings.Repeat("This line is long on purpose, far longer than 78 characters. ", 5)
	return []struct {
		name  string
		draft compose.Draft
	}{
		{"plain_ascii", compose.Draft{Account: acct, Agent: "Brad", Ticket: "1", Number: "1",
			To: []deskmail.Address{mary}, Subject: "Re: My order has not arrived", Thread: []string{"m1@customer.example"},
			Text: "Hi Mary,\n\nIt ships today. Sorry for the wait!\n\nBrad\n"}},
		{"nonascii_names_subject", compose.Draft{Account: acct, Agent: "Jürgen Müller", Ticket: "2", Number: "2",
			To: []deskmail.Address{taro}, Cc: []deskmail.Address{addr(t, "Zoë \"Z\" O'Brien, Ops", "zoe@customer.example")},
			Subject: "Re: 注文した商品がまだ届きません（注文番号 5521）", Parent: "t1@customer.example",
			Text: "山田様\n\nご注文の商品は本日発送いたしました。\n\nJürgen\n"}},
		{"html_only", compose.Draft{Account: acct, Agent: "Brad", Ticket: "3", Number: "3",
			To: []deskmail.Address{mary}, Subject: "Your invoice",
			HTML: `<html><head><style>p{color:red}</style></head><body><p>Hello Mary,</p><p>See <a href="https://acme.example/i/77">your invoice</a>.</p><ul><li>Total: 12 €</li><li>Due: Friday</li></ul></body></html>`}},
		{"attachments", compose.Draft{Account: acct, Agent: "Brad", Ticket: "4", Number: "4",
			To: []deskmail.Address{mary}, Bcc: []deskmail.Address{addr(t, "", "audit@acme.example")}, Subject: "Documents",
			Text: "Attached.", HTML: `<p>Attached. <img src="cid:logo@acme.example" alt="Acme"></p>`,
			Attachments: []compose.Attachment{
				{Filename: "請求書 2026-12.pdf", Data: append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 250}, 300)...)},
				{Filename: "notes.txt", Data: []byte("plain notes\r\nline two\r\n")},
				{Filename: "logo.png", ContentID: "logo@acme.example", Data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")},
			}}},
		{"long_lines", compose.Draft{Account: acct, Agent: "Brad", Ticket: "5", Number: "5",
			To: []deskmail.Address{mary}, Subject: "Re: " + strings.Repeat("a rather long subject line ", 6),
			Thread: []string{"r1@customer.example", "r2@customer.example", "r3@customer.example", "r4@customer.example"},
			Text:   long + "\n" + strings.Repeat("x", 300) + "\ntrailing space   \nend=of=text\n"}},
		{"notification", compose.Draft{Account: acct, Kind: deskmail.KindNotification, Ticket: "6", Number: "6",
			To: []deskmail.Address{mary}, Subject: "Ticket #6 was resolved", UnsubscribeURL: "https://acme.desk.example/u/abc123",
			Text: "Your ticket was resolved. Reply to reopen it.\n"}},
		{"smtputf8", compose.Draft{Account: acct, Agent: "Jürgen Müller", Ticket: "7", Number: "7", SMTPUTF8: true,
			To: []deskmail.Address{taro}, Subject: "Re: 請求書について", Text: "山田様、ありがとうございます。\n"}},
	}
}

func TestCorpusGolden(t *testing.T) {
	c := testComposer(t, nil)
	for _, tc := range corpus(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Compose(context.Background(), &tc.draft)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".eml")
			if *update {
				if err := os.WriteFile(path, m.Bytes, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(want, m.Bytes) {
				t.Errorf("composed mail differs from %s (-update to accept):\n%s", path, m.Bytes)
			}
			checkLines(t, m.Bytes)
		})
	}
}

// checkLines asserts RFC 5322 line lengths: 998 always; 78 except for a
// single unbreakable token (a long Message-ID).
func checkLines(t *testing.T, msg []byte) {
	t.Helper()
	for i, ln := range strings.Split(string(msg), "\r\n") {
		if strings.ContainsAny(ln, "\r\n") {
			t.Errorf("line %d has a bare CR or LF", i+1)
		}
		if len(ln) > 998 {
			t.Errorf("line %d is %d octets, over 998", i+1, len(ln))
		}
		if len(ln) > 78 {
			words := strings.Fields(ln)
			longest := 0
			for _, w := range words {
				longest = max(longest, len(w))
			}
			if longest < 78-len("Message-Id: ") && len(words) > 1 {
				t.Errorf("line %d is %d characters and could have been folded: %q", i+1, len(ln), ln)
			}
		}
	}
}

// parsed is what both parsers must agree on.
type parsed struct {
	Headers map[string]any `json:"headers"`
	Parts   []parsedPart   `json:"parts"`
}

type parsedPart struct {
	Type     string `json:"type"`
	Filename string `json:"filename"`
	CID      string `json:"cid"`
	SHA256   string `json:"sha256"` // of the decoded content, line ends as LF
}

func digest(b []byte) string {
	s := sha256.Sum256(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
	return hex.EncodeToString(s[:8])
}

func goParse(t *testing.T, raw []byte) parsed {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message: %v", err)
	}
	h := mail.Header{Header: e.Header}
	p := parsed{Headers: map[string]any{}}
	for _, k := range []string{"From", "To", "Cc", "Reply-To", "Sender"} {
		l, err := h.AddressList(k)
		if err != nil {
			t.Fatalf("go-message %s: %v", k, err)
		}
		var out []any
		for _, a := range l {
			out = append(out, []any{a.Name, a.Address})
		}
		if out != nil {
			p.Headers[strings.ToLower(k)] = out
		}
	}
	subj, err := h.Subject()
	if err != nil {
		t.Fatalf("go-message subject: %v", err)
	}
	p.Headers["subject"] = subj
	id, _ := h.MessageID()
	p.Headers["message-id"] = id
	for _, k := range []string{"In-Reply-To", "Auto-Submitted", "List-Unsubscribe", "List-Unsubscribe-Post"} {
		if v := h.Get(k); v != "" {
			p.Headers[strings.ToLower(k)] = v
		}
	}
	err = e.Walk(func(path []int, ent *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if mr := ent.MultipartReader(); mr != nil {
			return nil
		}
		ct, _, _ := ent.Header.ContentType()
		_, dp, _ := ent.Header.ContentDisposition()
		fn := dp["filename"]
		b, err := io.ReadAll(ent.Body)
		if err != nil {
			return err
		}
		p.Parts = append(p.Parts, parsedPart{Type: ct, Filename: fn, CID: strings.Trim(ent.Header.Get("Content-Id"), "<>"), SHA256: digest(b)})
		return nil
	})
	if err != nil {
		t.Fatalf("go-message walk: %v", err)
	}
	return p
}

const pyParse = `
import sys, json, hashlib, email
from email import policy
raw = open(sys.argv[1], 'rb').read()
try:
    # RFC 6532 (SMTPUTF8) headers are UTF-8; Python's bytes parser reads
    # headers as ASCII with surrogate escapes, so parse the text instead.
    raw.decode('ascii')
    msg = email.message_from_bytes(raw, policy=policy.default)
except UnicodeDecodeError:
    msg = email.message_from_string(raw.decode('utf-8'), policy=policy.default)
h = {}
for k in ['from', 'to', 'cc', 'reply-to', 'sender']:
    v = msg[k]
    if v is not None:
        h[k] = [[a.display_name, a.addr_spec] for a in v.addresses]
h['subject'] = str(msg['subject'])
h['message-id'] = str(msg['message-id']).strip('<>')
for k in ['in-reply-to', 'auto-submitted', 'list-unsubscribe', 'list-unsubscribe-post']:
    if msg[k] is not None:
        h[k] = str(msg[k])
parts = []
for p in msg.walk():
    if p.is_multipart():
        continue
    b = p.get_payload(decode=True) or b''
    parts.append({'type': p.get_content_type(), 'filename': p.get_filename() or '',
        'cid': (p['content-id'] or '').strip('<>'),
        'sha256': hashlib.sha256(b.replace(b'\r\n', b'\n')).hexdigest()[:16]})
defects = [str(d) for p in msg.walk() for d in p.defects]
for k in msg.keys():
    defects += [str(d) for d in msg[k].defects]
print(json.dumps({'headers': h, 'parts': parts, 'defects': defects}))
`

// TestCorpusParsesBack: every composed mail parses back with go-message
// and with Python's email package (policy=default) to the same headers
// and parts, without defects.
func TestCorpusParsesBack(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the Python email interop test")
	}
	c := testComposer(t, nil)
	dir := t.TempDir()
	for _, tc := range corpus(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Compose(context.Background(), &tc.draft)
			if err != nil {
				t.Fatal(err)
			}
			g := goParse(t, m.Bytes)
			f := filepath.Join(dir, tc.name+".eml")
			os.WriteFile(f, m.Bytes, 0o600)
			out, err := exec.Command(py, "-c", pyParse, f).Output()
			if err != nil {
				t.Fatalf("python: %v", err)
			}
			var p struct {
				parsed
				Defects []string `json:"defects"`
			}
			if err := json.Unmarshal(out, &p); err != nil {
				t.Fatalf("python output %q: %v", out, err)
			}
			if len(p.Defects) > 0 {
				t.Errorf("python reports defects: %q", p.Defects)
			}
			gj, _ := json.Marshal(g)
			var g2 parsed
			json.Unmarshal(gj, &g2)
			if !reflect.DeepEqual(g2, p.parsed) {
				t.Errorf("go-message and Python disagree:\n go: %s\n py: %s", gj, out)
			}
			// And both agree with the draft.
			if got := g.Headers["subject"]; !strings.HasPrefix(got.(string), tc.draft.Subject) {
				t.Errorf("subject %q, want prefix %q", got, tc.draft.Subject)
			}
			if from := g.Headers["from"].([]any)[0].([]any); tc.draft.Agent != "" && from[0] != tc.draft.Agent {
				t.Errorf("From name %q, want the agent %q (A10)", from[0], tc.draft.Agent)
			}
		})
	}
}

var (
	rsaOnce sync.Once
	rsaKey  crypto.Signer
)

func testKey(t *testing.T) crypto.Signer {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = dkim.GenerateKey(dkim.RSA, 2048, rand.Reader); err != nil {
			t.Fatal(err)
		}
	})
	return rsaKey
}

// dkimverifyShim makes Debian's dkimverify (python3-dkim) take the key
// record from the environment instead of DNS: Python imports
// sitecustomize from PYTHONPATH at start-up, and the shim replaces the
// default dnsfunc of DKIM.verify, which is all dkimverify calls.
const dkimverifyShim = `
import os, dkim
_rec = os.environ['DESKMAIL_DKIM_RECORD'].encode()
def _txt(name, timeout=5):
    return _rec
dkim.DKIM.verify.__defaults__ = (0, _txt)
`

// TestCorpusDKIMVerifies: every composed mail, signed by our dkim package,
// verifies with Debian's dkimverify.
func TestCorpusDKIMVerifies(t *testing.T) {
	bin, err := exec.LookPath("dkimverify")
	if err != nil {
		t.Skip("dkimverify (python3-dkim) not installed: skipping the DKIM interop test; apt-get install python3-dkim")
	}
	key := testKey(t)
	rec, err := dkim.NewKeyRecord(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), []byte(dkimverifyShim), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testComposer(t, nil)
	for _, tc := range corpus(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Compose(context.Background(), &tc.draft)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := dkim.Sign(m.Bytes, m.From.Domain, "dm1", key, nil)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin)
			cmd.Stdin = bytes.NewReader(signed)
			cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "DESKMAIL_DKIM_RECORD="+rec.String())
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "signature ok" {
				t.Errorf("dkimverify: %s %v", out, err)
			}
		})
	}
	// The shim is what makes it pass: a tampered message fails.
	m, _ := c.Compose(context.Background(), &corpus(t)[0].draft)
	signed, _ := dkim.Sign(m.Bytes, m.From.Domain, "dm1", key, nil)
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(bytes.Replace(signed, []byte("ships today"), []byte("ships later"), 1))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "DESKMAIL_DKIM_RECORD="+rec.String())
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("dkimverify accepted a tampered body: %s", out)
	}
}
