package threading_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/deskmail/deskmail/threading"
)

// FuzzParseToken feeds arbitrary text to every token decoder. Nothing may
// panic, and a token may verify only when it is exactly (up to case and
// brackets) what the Threader itself writes for the decoded fields.
func FuzzParseToken(f *testing.F) {
	th := newThreader(f)
	for _, tok := range []threading.Token{
		{Account: "1", Ticket: "2", Message: "3"},
		{Account: "3f2504e0-4f89-11d3-9a0c-0305e82c3301", Ticket: "T-9", Message: "日本"},
	} {
		id, _ := th.MessageID(tok, "")
		f.Add(id)
		f.Add(strings.ToUpper(id))
		f.Add(id[:len(id)-25] + "@x>")
		tag, _ := th.ReplyTag("1", tok.Ticket)
		f.Add(tag)
		m, _ := th.BodyMarker("1", tok.Ticket)
		f.Add("quoted > " + m + " text")
	}
	f.Add("<dm.acme.@x>")
	f.Add("<dm.acme.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x>")
	f.Add("ref:dm.acme.ref:dm.acme.:ref")
	f.Fuzz(func(t *testing.T, s string) {
		if tok, err := th.ParseMessageID(s); err == nil {
			again, err := th.MessageID(tok, "x.example")
			if err != nil {
				t.Fatalf("decoded %+v does not encode: %v", tok, err)
			}
			local := func(id string) string {
				id = strings.Trim(strings.TrimSpace(id), "<>")
				return strings.ToLower(id[:strings.LastIndexByte(id, '@')])
			}
			if local(again) != local(s) {
				t.Fatalf("%q verified as %+v, which encodes as %q", s, tok, again)
			}
		}
		if tok, err := th.ParseReplyTag("1", s); err == nil {
			if again, _ := th.ReplyTag("1", tok.Ticket); again != strings.ToLower(s) {
				t.Fatalf("tag %q verified as %+v, which encodes as %q", s, tok, again)
			}
		}
		if tok, err := th.ParseBodyMarker("1", s); err == nil {
			m, _ := th.BodyMarker("1", tok.Ticket)
			if !strings.Contains(strings.ToLower(s), m) {
				t.Fatalf("body %q verified as %+v without holding %q", s, tok, m)
			}
		}
		threading.IsOurMessageID(s, "acme")
		threading.ParseMessageIDs(s)
	})
}

// FuzzBaseSubject checks that BaseSubject never panics, returns valid UTF-8
// without surrounding or repeated spaces, and is stable: the base subject of
// a base subject is itself.
func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{
		"Re: Fwd: [support] Printer on fire (fwd)", "AW: WG: Rechnung", "回复：发票", "Re[2]: SV: Faktura",
		"=?ISO-2022-JP?B?GyRCRT5BdxsoQjogGyRCJDMkcyRLJEEkTxsoQg==?=", "[fwd: Re: x] (fwd)", "Re^2: [a][b] c",
		"=?UTF-8?Q?Re:_?= =?UTF-8?Q?Hello?=", "RE : x", "[", "Re: [", "\xff\xfe", "Re:\t\r\n x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := threading.BaseSubject(s)
		if !utf8.ValidString(b) {
			t.Fatalf("BaseSubject(%q) = %q: invalid UTF-8", s, b)
		}
		if b != strings.TrimSpace(b) || strings.Contains(b, "  ") || strings.ContainsAny(b, "\t\r\n") {
			t.Fatalf("BaseSubject(%q) = %q: untidy space", s, b)
		}
		if strings.Contains(b, "=?") {
			return // a decoded word that spells another encoded word
		}
		if bb := threading.BaseSubject(b); bb != b {
			t.Fatalf("BaseSubject not stable: %q → %q → %q", s, b, bb)
		}
		threading.IsReplyOrForward(s)
	})
}

// FuzzThreads builds messages from the bytes of the input (ids, references,
// subjects and dates from a small alphabet, so they collide and loop) and
// checks that every message appears exactly once and no dummy is empty.
func FuzzThreads(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0, 2, 2, 1, 0})
	f.Add([]byte{5, 5, 5, 5, 5, 5})
	f.Add([]byte("a loop: abcabcabca"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			return
		}
		var ms []threading.Message
		for i := 0; i+1 < len(b); i += 4 {
			m := threading.Message{ID: string(rune('a' + b[i]%12)), Date: t0.Add(time.Duration(b[i+1]%5) * time.Hour)}
			if b[i+1]%3 == 0 {
				m.Subject = "Re: " + string(rune('x'+b[i+1]%3))
			} else {
				m.Subject = string(rune('x' + b[i+1]%3))
			}
			for _, c := range b[i+2 : min(i+4, len(b))] {
				if c%4 == 3 {
					m.InReplyTo = string(rune('a' + c%14))
				} else {
					m.References = append(m.References, string(rune('a'+c%14)))
				}
			}
			ms = append(ms, m)
		}
		for _, grouping := range []bool{false, true} {
			roots := threading.Threads(ms, &threading.ThreadOptions{NoSubjectGrouping: grouping})
			seen := make([]int, len(ms))
			var walk func(ns []*threading.Node, depth int)
			walk = func(ns []*threading.Node, depth int) {
				if depth > len(ms)+2 {
					t.Fatal("tree deeper than the input")
				}
				for _, nd := range ns {
					if nd.Index >= 0 {
						seen[nd.Index]++
					} else if len(nd.Children) < 2 && depth == 0 {
						t.Errorf("dummy root %q with %d children", nd.ID, len(nd.Children))
					}
					walk(nd.Children, depth+1)
				}
			}
			walk(roots, 0)
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("message %d appears %d times", i, c)
				}
			}
		}
	})
}
