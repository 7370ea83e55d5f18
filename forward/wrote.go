package forward

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deskmail/deskmail"
)

const maxWroteLine = 400 // bytes in an "On …, X <x@y> wrote:" line

// parseWrote parses an attribution line naming the original sender, as
// Outlook for Mac writes above a forward: `On 28/10/2021 12:46, "John Doe"
// <john@x> wrote:`, `Le …, « John Doe » <john@x> a écrit :`, `28/10/2021
// 12:46 používateľ John Doe (<john@x>) napísal:`.
func parseWrote(t string) (fields, bool) {
	if len(t) > maxWroteLine || !endsColon(t) {
		return fields{}, false
	}
	lt := strings.IndexByte(t, '<')
	if lt < 0 {
		return fields{}, false
	}
	gt := strings.IndexByte(t[lt:], '>')
	if gt < 0 {
		return fields{}, false
	}
	addr := strings.TrimPrefix(t[lt+1:lt+gt], "mailto:")
	if i := strings.IndexByte(addr, '<'); i >= 0 {
		addr = addr[:i] // Exchange's "<addr<mailto:addr>>"
	}
	if !strings.Contains(addr, "@") {
		return fields{}, false
	}
	before := strings.TrimRight(t[:lt], " (")
	name, quoted := quotedName(before)
	if !quoted {
		name = trailingName(before)
	}
	a, err := deskmail.NewAddress(name, addr)
	if err != nil || a.Domain == "" {
		return fields{}, false
	}
	return fields{from: a}, true
}

// wroteAt reads an attribution line at lines[i], also when the client
// wrapped it over up to three lines (Gmail's plain text wraps at 78
// columns: "On Mon, Feb 1, 2016 at 6:32 PM, Jeff Atwood <jeff@x>" then
// "wrote:"). It returns the fields and the index of the line after it.
func wroteAt(lines []line, i int) (fields, int, bool) {
	t := lines[i].text
	if f, ok := parseWrote(t); ok {
		return f, i + 1, true
	}
	if endsColon(t) {
		return fields{}, 0, false
	}
	last, n, lt := -1, len(t), strings.IndexByte(t, '<') >= 0
	for j := i + 1; j < len(lines) && j <= i+2; j++ {
		l := lines[j].text
		if l == "" || lines[j].depth != lines[i].depth {
			break
		}
		n += 1 + len(l)
		lt = lt || strings.IndexByte(l, '<') >= 0
		if n > maxWroteLine {
			break
		}
		if endsColon(l) {
			last = j
			break
		}
	}
	if last < 0 || !lt {
		return fields{}, 0, false
	}
	var b strings.Builder
	b.Grow(n)
	for j := i; j <= last; j++ {
		if j > i {
			b.WriteByte(' ')
		}
		b.WriteString(lines[j].text)
	}
	if f, ok := parseWrote(b.String()); ok {
		return f, last + 1, true
	}
	return fields{}, 0, false
}

func endsColon(t string) bool { return strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：") }

// quotePairs are the quotes a name stands in: "…", «…», “…” and „…”
// (Polish), „…“ (German), '…'.
var quotePairs = []struct{ open, close string }{
	{`"`, `"`}, {"«", "»"}, {"“", "”"}, {"„", "”"}, {"„", "“"}, {"'", "'"},
}

// quotedName returns the name in quotes that s ends with, and whether s
// ends with a closing quote at all. Where a closing quote has two openers,
// the nearer one wins.
func quotedName(s string) (name string, quoted bool) {
	start := -1
	for _, p := range quotePairs {
		inner, ok := strings.CutSuffix(s, p.close)
		if !ok {
			continue
		}
		quoted = true
		if i := strings.LastIndex(inner, p.open); i >= 0 && i+len(p.open) > start {
			start = i + len(p.open)
			name = strings.TrimSpace(inner[start:])
		}
	}
	return name, quoted
}

// attributionWords are words around a name in attribution lines that are
// not part of it.
var attributionWords = map[string]bool{
	"at": true, "am": true, "pm": true, "a.m.": true, "p.m.": true, "um": true, "à": true,
	"às": true, "alle": true, "om": true, "kl": true, "kl.": true, "klo": true, "o": true,
	"в": true, "о": true, "г.": true, "р.": true, "de": true, "el": true, "le": true,
	"on": true, "dne": true, "em": true, "il": true, "giorno": true, "den": true,
	"používateľ": true, "uživatel": true, "użytkownik": true, "user": true, "utilizatorul": true,
	"kullanıcısı": true, "napsal": true, "schrieb": true, "skrev": true, "skrifaði": true,
	"időpontban": true,
	// "user" and "has" before the name, as Gmail, iOS and Android mail
	// write it: "Op 2 feb. 2015 om 05:28 heeft X <x@y> het volgende
	// geschreven:", "… г. в 10:00, пользователь X <x@y> написал:".
	"heeft": true, "пользователь": true, "користувач": true, "потребител": true,
	"корисник": true, "korisnik": true, "uporabnik": true, "naudotojas": true,
	"lietotājs": true, "kasutaja": true, "χρήστης": true, "карыстальнік": true,
}

// trailingName returns the run of words at the end of s, after its last
// comma (ASCII or CJK), that holds no digit and no attribution word: "Dne
// 28/10/2021 12:46, John Doe" gives "John Doe", "在 2016年12月12日，下午8:45，
// 张伟" gives "张伟".
func trailingName(s string) string {
	for _, comma := range []string{",", "，", "、"} { // ASCII, full-width, ideographic
		if i := strings.LastIndex(s, comma); i >= 0 {
			s = s[i+len(comma):]
		}
	}
	words := strings.Fields(s)
	k := len(words)
	for k > 0 {
		w := words[k-1]
		if attributionWords[strings.ToLower(w)] || dateWord(w) {
			break
		}
		k--
	}
	return strings.Join(words[k:], " ")
}

// dateWord reports a word of a date or a time ("2016", "4:18", "12.",
// "下午8:45", "2016年"), not a user name with a digit ("matt2").
func dateWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	if unicode.IsDigit(r) {
		return true
	}
	return strings.IndexFunc(w, unicode.IsDigit) >= 0 && strings.ContainsAny(w, ":./-年月日")
}

// looksRFC5322Date is a cheap filter before mail.ParseDate, which is slow
// on the localized dates most forwards show: ASCII, a time, and an English
// month abbreviation as a word.
func looksRFC5322Date(d string) bool {
	if len(d) < 15 || len(d) > 80 || !strings.Contains(d, ":") {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, w := range strings.FieldsFunc(d, func(r rune) bool { return r == ' ' || r == ',' }) {
		switch w {
		case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
			return true
		}
	}
	return false
}
