package threading_test

import (
	"testing"

	"github.com/deskmail/deskmail/threading"
)

func TestBaseSubject(t *testing.T) {
	for _, c := range []struct {
		in, want string
		reply    bool
	}{
		{"Hello", "Hello", false},
		{"Re: Hello", "Hello", true},
		{"RE: re: Re[2]: Hello", "Hello", true},
		{"Re^3: Hello", "Hello", true},
		{"Re(2): Hello", "Hello", true},
		{"Fwd: Fw: FWD: Hello", "Hello", true},
		{"Hello (fwd)", "Hello", true},
		{"Hello (fwd) (FWD)  ", "Hello", true},
		{"[fwd: Hello]", "Hello", true},
		{"[fwd: Re: Hello] (fwd)", "Hello", true},
		{"[list] Re: Hello", "Hello", true},
		{"Re: [list] Hello", "Hello", true},
		{"Re [list]: Hello", "Hello", true},
		{"[list]", "[list]", false},
		{"[a][b] [c]", "[c]", false},
		{"RE : Hello", "Hello", true}, // French spacing
		{"  Re:   Hello   world ", "Hello world", true},
		{"Re:\tHello\r\n world", "Hello world", true},
		{"Re:", "", true},
		{"", "", false},
		{"Re", "Re", false},
		{"Regarding: Hello", "Regarding: Hello", false},
		{"Really: Hello", "Really: Hello", false},
		{"Hello: world", "Hello: world", false},
		// T7 localized prefixes
		{"AW: Hello", "Hello", true},
		{"WG: AW: Hello", "Hello", true},
		{"SV: Hello", "Hello", true},
		{"VS: Hello", "Hello", true},
		{"TR: Hello", "Hello", true},
		{"RV: Hello", "Hello", true},
		{"Antw: Hello", "Hello", true},
		{"Odp: Hello", "Hello", true},
		{"R: Hello", "Hello", true},
		{"RIF: Hello", "Hello", true},
		{"RES: Hello", "Hello", true},
		{"YNT: Hello", "Hello", true},
		{"ENC: Hello", "Hello", true},
		{"回复: 你好", "你好", true},
		{"答复：你好", "你好", true},
		{"回覆: 你好", "你好", true},
		{"転送: こんにちは", "こんにちは", true},
		{"返信：Re: こんにちは", "こんにちは", true},
		{"Re：Hello", "Hello", true}, // full-width colon
		{"ΑΠ: Γεια", "Γεια", true},
		{"Ответ: привет", "Ответ: привет", false},
		// RFC 2047
		{"=?UTF-8?B?5Zue5aSNOiDkvaDlpb0=?=", "你好", true},
		{"=?ISO-2022-JP?B?GyRCRT5BdxsoQjogGyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは", true},
		{"=?iso-8859-1?q?AW:_Gr=FC=DFe?=", "Grüße", true},
		{"=?UTF-8?Q?Re:_?= =?UTF-8?Q?Hello?=", "Hello", true},
		{"=?bogus?Q?x?=", "=?bogus?Q?x?=", false},
	} {
		if got := threading.BaseSubject(c.in); got != c.want {
			t.Errorf("T7/BaseSubject(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := threading.IsReplyOrForward(c.in); got != c.reply {
			t.Errorf("T7/IsReplyOrForward(%q) = %v, want %v", c.in, got, c.reply)
		}
	}
	if k := threading.SubjectKey("Re: HeLLo"); k != "hello" {
		t.Errorf("SubjectKey = %q", k)
	}
}
