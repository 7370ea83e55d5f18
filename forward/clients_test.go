package forward

import (
	"testing"
)

// TestOtherClients covers forwards of clients outside the crisp corpus.
func TestOtherClients(t *testing.T) {
	tests := []struct {
		name, subject, body string
		from, fromName      string
		subj                string
		to                  int
	}{
		{
			name: "F1/Outlook desktop ja", subject: "FW: 見積もり",
			body: "よろしくお願いします。\n\n差出人: 山田 太郎 <taro@example.jp>\n送信日時: 2024年4月1日 10:00\n宛先: support@desk.example\n件名: 見積もり\n\n本文です。",
			from: "taro@example.jp", fromName: "山田 太郎", subj: "見積もり", to: 1,
		},
		{
			name: "F1/Foxmail zh original message", subject: "转发：报价",
			body: "------------------ 原始邮件 ------------------\n发件人: \"李雷\" <lilei@example.cn>;\n发送时间: 2024年4月1日(星期一) 上午10:00\n收件人: \"support\" <support@desk.example>;\n主题: 报价\n\n正文",
			from: "lilei@example.cn", fromName: "李雷", subj: "报价", to: 1,
		},
		{
			name: "F1/Zimbra", subject: "Fwd: x",
			body: "----- Forwarded Message -----\nFrom: \"Ann\" <ann@example.com>\nTo: \"Desk\" <desk@example.org>\nSent: Monday, April 1, 2024 10:00:00 AM\nSubject: x\n\nbody",
			from: "ann@example.com", fromName: "Ann", subj: "x", to: 1,
		},
		{
			name: "F1/Roundcube original message", subject: "",
			body: "-------- Original Message --------\nSubject: x\nDate: 2024-04-01 10:00\nFrom: Ann <ann@example.com>\nTo: desk@example.org\n\nbody",
			from: "ann@example.com", fromName: "Ann", subj: "x", to: 1,
		},
		{
			name: "F1/plain-text rendering with bold labels", subject: "Fwd: x",
			body: "---------- Forwarded message ---------\n*From:* Ann Lee <ann@example.com>\n*Date:* Mon, Apr 1, 2024\n*Subject:* x\n*To:* <desk@example.org>\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x", to: 1,
		},
		{
			name: "F1/Outlook HTML-to-text without separator", subject: "FW: x",
			body: "Note\n\nFrom: Lee, Ann <ann@example.com> \nSent: Monday, April 1, 2024 10:00 AM\nTo: Desk <desk@example.org>; Bob <bob@example.org>\n    Carl <carl@example.org>\nSubject: x\n\nbody",
			from: "ann@example.com", fromName: "Lee, Ann", subj: "x", to: 3,
		},
		{
			name: "F1/attribution line fills the subject from the forward", subject: "[EXT] FW: Integer",
			body: "On 28/10/2021 12:46, \"John Doe\" <john@example.com> wrote:\n\n    body",
			from: "john@example.com", fromName: "John Doe", subj: "Integer",
		},
		{
			name: "F1/attribution lines name the sender after a word for user or has", subject: "FW: x",
			body: "Op 2 feb. 2015 om 05:28 heeft Ann Lee <ann@example.com> het volgende geschreven:\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x",
		},
		{
			name: "F1/Russian attribution with пользователь", subject: "Fwd: x",
			body: "пн, 6 окт. 2014 г. в 10:00, пользователь Анна Ли <ann@example.com> написал:\n\nbody",
			from: "ann@example.com", fromName: "Анна Ли", subj: "x",
		},
		{
			name: "F1/Chinese attribution with full-width commas", subject: "Fwd: x",
			body: "在 2016年12月12日，下午8:45，Ann Lee <ann@example.com> 写道：\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x",
		},
		{
			name: "F1/attribution with Exchange's double mailto", subject: "FW: x",
			body: "On Sun, Feb 7, 2016 at 12:12 AM -0800, \"Ann Lee\" <ann@example.com<mailto:ann@example.com>> wrote:\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x",
		},
		{
			name: "F1/wrapped attribution, a user name with a digit", subject: "Fwd: x",
			body: "On Thu, Jun 20, 2013 at 4:18 PM, matt2 via Example Forum <\nforum@example.com> wrote:\n\nbody",
			from: "forum@example.com", fromName: "matt2 via Example Forum", subj: "x",
		},
		{
			name: "F1/Norwegian attribution with skrev", subject: "Fwd: x",
			body: "Den 15. jun. 2016 kl. 20.42 skrev Ola Nordmann <ola@example.no>:\n\nbody",
			from: "ola@example.no", fromName: "Ola Nordmann", subj: "x",
		},
		{
			name: "F1/Greek attribution with ο χρήστης", subject: "Fwd: x",
			body: "Στις Δευ 6 Οκτ 2014 στις 10:00, ο χρήστης Άννα Λη <ann@example.com> έγραψε:\n\nbody",
			from: "ann@example.com", fromName: "Άννα Λη", subj: "x",
		},
		{
			name: "F1/Hungarian attribution with időpontban", subject: "Fw: x",
			body: "2021. február 1., hétfő 10:00 időpontban Kovács Anna <anna@example.hu> ezt írta:\n\nbody",
			from: "anna@example.hu", fromName: "Kovács Anna", subj: "x",
		},
		{
			name: "F1/Polish attribution quoting the name in „…”", subject: "Fw: x",
			body: "Dnia 1 lutego 2021 10:00 „Anna Nowak” <anna@example.pl> napisał:\n\nbody",
			from: "anna@example.pl", fromName: "Anna Nowak", subj: "x",
		},
		{
			name: "F1/German attribution quoting the name in „…“", subject: "WG: x",
			body: "Am 01.02.2021 um 10:00 schrieb „Anna Schmidt“ <anna@example.de>:\n\nbody",
			from: "anna@example.de", fromName: "Anna Schmidt", subj: "x",
		},
		{
			name: "F1/separator in words we do not know, known labels, no subject", subject: "",
			body: "Xyzzy plugh:\n\nFrom: Ann Lee <ann@example.com>\nSubject: x\nDate: 28 Oct 2021\nTo: desk@example.org\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x", to: 1,
		},
		{
			name: "F1/dashed separator in words we do not know", subject: "",
			body: "---------- Plugh xyzzy ---------\nVon: Ann Lee <ann@example.com>\nDate: 28 Oct 2021\nSubject: x\nTo: <desk@example.org>\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x", to: 1,
		},
		{
			name: "F1/Mail.ru sender line below the separator", subject: "Fwd: x",
			body: "-------- Пересылаемое сообщение --------\n28.10.2021, 12:46, \"Иван Петров\" <ivan@example.ru>:\n\nbody",
			from: "ivan@example.ru", fromName: "Иван Петров", subj: "x",
		},
		{
			name: "F1/VS: is a forward in Norwegian", subject: "VS: x",
			body: "Se under\n\nFra: Ola <ola@example.no>\nSendt: torsdag\nTil: desk@example.org\nEmne: x\n\nbody",
			from: "ola@example.no", fromName: "Ola", subj: "x", to: 1,
		},
		{
			name: "F1/name on the From line, address on the next", subject: "FW: x",
			body: "________________________________\nFrom: Ann Lee\n<ann@example.com>\nSent: Monday\nSubject: x\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x",
		},
		{
			name: "F1/label alone on its line", subject: "TR: x",
			body: "________________________________\nDe :\nAmélie <amelie@example.fr>\nEnvoyé :\njeudi\nObjet :\nx\n\nbody",
			from: "amelie@example.fr", fromName: "Amélie", subj: "x",
		},
		{
			name: "F1/full-width colons and RTL marks", subject: "FW: x",
			body: "\u200fمن\u200f： أحمد <ahmad@example.sa>\n\u200fالتاريخ： الخميس\n\u200fالموضوع： x\n\nbody",
			from: "ahmad@example.sa", fromName: "أحمد", subj: "x",
		},
		{
			name: "F1/the whole block on one line", subject: "FW: x",
			body: "________________________________\nFrom: Ann Lee <ann@example.com> Sent: Monday, 28 October 2021 12:46 To: Desk <desk@example.org> Subject: x\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x", to: 1,
		},
		{
			name: "F1/a rendering that lost the angle brackets", subject: "Fwd: x",
			body: "---------- Forwarded message ---------\nFrom: Ann Lee ann@example.com\nDate: Mon\nSubject: x\n\nbody",
			from: "ann@example.com", fromName: "Ann Lee", subj: "x",
		},
		{
			name: "F1/French TR : with a space", subject: "TR : x",
			body: "De : Amélie <amelie@example.fr>\nEnvoyé : jeudi\nObjet : x\n\nbody",
			from: "amelie@example.fr", fromName: "Amélie", subj: "x",
		},
		{
			name: "F1/an RFC 2047 name left encoded in the body", subject: "Fwd: x",
			body: "-------- Forwarded Message --------\nSubject: x\nDate: Thu, 28 Oct 2021 12:46:00 +0200\nFrom: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@example.de>\nTo: desk@example.org\n\nbody",
			from: "j@example.de", fromName: "Jürgen Müller", subj: "x", to: 1,
		},
		{
			name: "F1/forward marker above a reply quote under Re:", subject: "Re: x",
			body: "FYI\n\n---------- Forwarded message ---------\nFrom: Ann <ann@example.com>\nTo: desk@example.org\n\nbody",
			from: "ann@example.com", fromName: "Ann", to: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := text(tc.subject, tc.body, nil)
			if !got.Forwarded {
				t.Fatalf("not forwarded: %s", got.Evidence)
			}
			if got.From.Addr() != tc.from || got.From.Name != tc.fromName {
				t.Errorf("From = %q <%s>, want %q <%s>", got.From.Name, got.From.Addr(), tc.fromName, tc.from)
			}
			if got.Subject != tc.subj {
				t.Errorf("Subject = %q, want %q", got.Subject, tc.subj)
			}
			if len(got.To) != tc.to {
				t.Errorf("To = %v, want %d", got.To, tc.to)
			}
		})
	}
}

func TestRepliesAreNotForwards(t *testing.T) {
	for name, tc := range map[string][2]string{
		"F1/reply under Re: stops at the quoted history":         {"Re: x", "ok\n\nOn Mon, Ann <ann@example.com> wrote:\n> ---------- Forwarded message ---------\n> From: Bob <bob@example.com>\n> To: x@example.org\n"},
		"F1/Outlook reply with underscores":                      {"RE: x", "ok\n________________________________\nFrom: Ann <ann@example.com>\nSent: Monday\nTo: desk@example.org\nSubject: x\n"},
		"F1/AW: German reply":                                    {"AW: x", "ok\n\nVon: Ann <ann@example.com>\nGesendet: Montag\nAn: desk@example.org\nBetreff: x\n"},
		"F1/VS: is a reply in Finnish":                           {"VS: x", "ok\n\n-----Alkuperäinen viesti-----\nLähettäjä: Ann <ann@example.com>\nLähetetty: maanantai\nAihe: x\n"},
		"F1/unknown separator under a reply prefix":              {"Re: x", "ok\n\nXyzzy plugh:\n\nFrom: Ann <ann@example.com>\nDate: Monday\nSubject: x\n"},
		"F1/Polish Odp.: reply":                                  {"Odp.: x", "ok\n\n-----Oryginalna wiadomość-----\nOd: Ann <ann@example.com>\nWysłano: poniedziałek\nTemat: x\n"},
		"F1/French RE : reply":                                   {"RE : x", "ok\n\n-----Message d'origine-----\nDe : Ann <ann@example.com>\nEnvoyé : lundi\nObjet : x\n"},
		"F1/a forward quoted in a reply's history":               {"Re: x", "ok\n\nEl jue, Ann escribió algo raro\n> ---------- Forwarded message ---------\n> From: Bob <bob@example.com>\n> Date: Mon\n> To: x@example.org\n"},
		"F1/a bare block under a plain subject":                  {"invoice", "From: Jane <jane@example.com>\nSent: Monday\nTo: desk@example.org\nSubject: invoice\n\nplease pay\n"},
		"F1/attribution line above a quote, no subject":          {"", "ok\n\nOn Mon, Ann <ann@example.com> wrote:\n> hi\n"},
		"F1/attribution line above unquoted history, no subject": {"", "ok\n\nOn Mon, Ann <ann@example.com> wrote:\n\nhi\n\n_____________________________\nFrom: Ann <ann@example.com>\nSent: Monday\nSubject: x\nTo: desk@example.org\n"},
	} {
		if got := text(tc[0], tc[1], nil); got.Forwarded {
			t.Errorf("%s: forwarded from %s (%s)", name, got.From.Addr(), got.Evidence)
		}
	}
}
