package mailparse

import (
	"strings"
	"testing"
)

type leaf struct{ typ, text string }

func walkAll(t *testing.T, mail string, lim Limits) ([]leaf, bool) {
	t.Helper()
	h, body, err := ReadHeader(NormalizeNewlines([]byte(mail)))
	if err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	var out []leaf
	trunc := Walk(h, body, lim, func(p *Part) bool {
		out = append(out, leaf{p.Type, strings.TrimSpace(p.Text())})
		return true
	})
	return out, trunc
}

func TestWalk(t *testing.T) {
	tests := []struct {
		name string
		mail string
		want []leaf
	}{
		{"single part", "Subject: x\n\nhello\n", []leaf{{"text/plain", "hello"}}},
		{"multipart", "Content-Type: multipart/mixed; boundary=B\n\npreamble\n--B\nContent-Type: text/plain\n\none\n--B\nContent-Type: message/delivery-status\n\nAction: failed\n--B--\n",
			[]leaf{{"text/plain", "one"}, {"message/delivery-status", "Action: failed"}}},
		{"CRLF", "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n\r\none\r\n--B--\r\n", []leaf{{"text/plain", "one"}}},
		{"bare CR", "Content-Type: multipart/mixed; boundary=B\r\r--B\r\rone\r--B--\r", []leaf{{"text/plain", "one"}}},
		{"missing close delimiter", "Content-Type: multipart/mixed; boundary=B\n\n--B\n\none\n--B\n\ntwo\n", []leaf{{"text/plain", "one"}, {"text/plain", "two"}}},
		{"missing boundary parameter", "Content-Type: multipart/mixed\n\nplain text\n", []leaf{{"text/plain", "plain text"}}},
		{"boundary never used", "Content-Type: multipart/mixed; boundary=Z\n\n--B\n\nbody\n", []leaf{{"text/plain", "--B\n\nbody"}}},
		{"indented delimiter", "Content-Type: multipart/mixed; boundary=B\n\n  --B\n\none\n --B--\n", []leaf{{"text/plain", "one"}}},
		{"folded parameter at line start", "Content-Type: multipart/alternative;\nboundary=\"B\"\n\n--B\nContent-Type: text/plain\n\none\n--B--\n", []leaf{{"text/plain", "one"}}},
		{"nested", "Content-Type: multipart/report; boundary=A\n\n--A\nContent-Type: multipart/alternative; boundary=B\n\n--B\n\nplain\n--B\nContent-Type: text/html\n\n<p>a&amp;b&eacute;</p><script>x()</script><div>c</div>\n--B--\n--A\nContent-Type: message/rfc822\n\nSubject: orig\n\nbody\n--A--\n",
			[]leaf{{"text/plain", "plain"}, {"text/html", "a&bé\n\nc"}, {"message/rfc822", "Subject: orig\n\nbody"}}},
		{"base64", "Content-Transfer-Encoding: base64\n\naGVsbG8g\nd29ybGQ=\n", []leaf{{"text/plain", "hello world"}}},
		{"unpadded base64", "Content-Transfer-Encoding: base64\n\naGVsbG8\n", []leaf{{"text/plain", "hello"}}},
		{"broken base64 keeps nothing it cannot read", "Content-Transfer-Encoding: base64\n\n!!\n", []leaf{{"text/plain", ""}}},
		{"quoted-printable", "Content-Transfer-Encoding: quoted-printable\n\nMailbox =\nfull =3D\n", []leaf{{"text/plain", "Mailbox full ="}}},
		{"unknown encoding", "Content-Transfer-Encoding: x-uuencode\n\nraw\n", []leaf{{"text/plain", "raw"}}},
		{"iso-2022-jp", "Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B%(%i!<\x1b(B\n", []leaf{{"text/plain", "エラー"}}},
		{"unknown charset", "Content-Type: text/plain; charset=x-unknown\n\nGr\xfc\xdfe\n", []leaf{{"text/plain", "Gr\xfc\xdfe"}}},
		{"broken content-type", "Content-Type: text/plain; charset=\"utf-8\n\nok\n", []leaf{{"text/plain", "ok"}}},
		{"no content-type", "\nbody only\n", []leaf{{"text/plain", "body only"}}},
		{"no content-type over a multipart body", "Subject: x\n\nThis message is in MIME format.\n\n--=_NP\nContent-Type: text/plain\n\none\n--=_NP\nContent-Type: message/rfc822\n\nSubject: orig\n\nbody\n--=_NP--\n",
			[]leaf{{"text/plain", "one"}, {"message/rfc822", "Subject: orig\n\nbody"}}},
		{"multipart without boundary over a multipart body", "Content-Type: multipart/report\n\n--R\nContent-Type: text/plain\n\none\n--R--\n", []leaf{{"text/plain", "one"}}},
		{"a quoted entity's delimiter is not the body's", "Subject: x\n\nreport\n\nContent-Type: multipart/alternative; boundary=Q\n\n--Q\nContent-Type: text/plain\n\nquoted\n--Q--\n",
			[]leaf{{"text/plain", "report\n\nContent-Type: multipart/alternative; boundary=Q\n\n--Q\nContent-Type: text/plain\n\nquoted\n--Q--"}}},
		{"a single dash line is not a delimiter", "Subject: x\n\n--sig\nContent-Type: is what I wrote\n", []leaf{{"text/plain", "--sig\nContent-Type: is what I wrote"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := walkAll(t, tt.mail, Limits{})
			if len(got) != len(tt.want) {
				t.Fatalf("got %d leaves %q, want %q", len(got), got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("leaf %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestWalkBounds(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("Content-Type: multipart/mixed; boundary=B\n\n")
	for i := 0; i < 1000; i++ {
		sb.WriteString("--B\n\npart\n")
	}
	got, trunc := walkAll(t, sb.String(), Limits{MaxParts: 10})
	if len(got) > 10 || !trunc {
		t.Errorf("parts: %d leaves, truncated %v; want at most 10, truncated", len(got), trunc)
	}
	deep := "Content-Type: multipart/mixed; boundary=B0\n\n"
	for i := 1; i < 20; i++ {
		deep += "--B" + string(rune('0'+i-1)) + "\nContent-Type: multipart/mixed; boundary=B" + string(rune('0'+i)) + "\n\n"
	}
	got, trunc = walkAll(t, deep+"--B"+string(rune('0'+19))+"\n\nleaf\n", Limits{MaxDepth: 3})
	if len(got) != 0 || !trunc {
		t.Errorf("depth: %d leaves, truncated %v; want none, truncated", len(got), trunc)
	}
}

func TestWalkStops(t *testing.T) {
	h, body, _ := ReadHeader([]byte("Content-Type: multipart/mixed; boundary=B\n\n--B\n\none\n--B\n\ntwo\n--B--\n"))
	n := 0
	Walk(h, body, Limits{}, func(*Part) bool { n++; return false })
	if n != 1 {
		t.Errorf("fn called %d times after returning false, want 1", n)
	}
}

func TestReadHeader(t *testing.T) {
	h, body, err := ReadHeader([]byte("From: a@x.example\nbroken line\nSubject: s\n\nbody"))
	if err != nil || h.Get("Subject") != "s" || h.Get("From") != "a@x.example broken line" || string(body) != "body" {
		t.Errorf("lenient header: %v %q %q %q", err, h.Get("From"), h.Get("Subject"), body)
	}
	if _, body, err := ReadHeader([]byte("no header here\n")); err == nil || string(body) != "no header here\n" {
		t.Errorf("no header: err %v body %q", err, body)
	}
	if h, _, err := ReadHeader([]byte("Subject: only")); err != nil || h.Get("Subject") != "only" {
		t.Errorf("header without body: %v %q", err, h.Get("Subject"))
	}
}

func FuzzWalk(f *testing.F) {
	f.Add([]byte("Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Transfer-Encoding: base64\n\naGk=\n--B--\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=A\r\r--A\rContent-Type: text/html\r\r<p>x</p>\r--A"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, body, err := ReadHeader(NormalizeNewlines(b))
		if err != nil {
			return
		}
		n := 0
		Walk(h, body, Limits{}, func(p *Part) bool {
			n++
			_ = p.Text()
			return true
		})
		if n > DefaultMaxParts {
			t.Fatalf("%d leaves", n)
		}
	})
}
