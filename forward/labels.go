package forward

import (
	"strings"
	"unicode/utf8"
)

// field is the header field a localized label stands for.
type field uint8

const (
	fieldNone    field = iota // a known label we keep no value for
	fieldFrom                 // From, Von, De, Od …
	fieldTo                   // To, An, Para, Do …
	fieldCc                   // Cc, Kopie, Dw …
	fieldSubject              // Subject, Betreff, Asunto …
	fieldDate                 // Date, Sent, Gesendet …
)

// langSet is a set of indexes into languages (up to 128).
type langSet struct{ lo, hi uint64 }

// langBit is the set of language i alone.
func langBit(i int) langSet {
	if i < 64 {
		return langSet{lo: 1 << i}
	}
	return langSet{hi: 1 << (i - 64)}
}

func (s langSet) none() bool            { return s.lo == 0 && s.hi == 0 }
func (s langSet) and(t langSet) langSet { return langSet{s.lo & t.lo, s.hi & t.hi} }
func (s langSet) or(t langSet) langSet  { return langSet{s.lo | t.lo, s.hi | t.hi} }

// label is what a label word means: its field and the languages that write
// it.
type label struct {
	f     field
	langs langSet
	raw   bool // a field only a mail's own header has
}

// stem is a lower-case fragment of a separator line.
type stem struct {
	s      string
	strong bool // names a forward; else written above replies too
}

// vocabulary is the lookup form of languages, built once.
type vocabulary struct {
	labels        map[string]label
	maxLabelRunes int
	stems         []stem
	fwdPrefix     map[string]langSet
	replyPrefix   map[string]langSet
}

var vocab = buildVocabulary()

func buildVocabulary() *vocabulary {
	if len(languages) > 128 {
		panic("forward: more than 128 languages")
	}
	v := &vocabulary{labels: map[string]label{}, fwdPrefix: map[string]langSet{}, replyPrefix: map[string]langSet{}}
	seen := map[string]bool{}
	for i, l := range languages {
		bit := langBit(i)
		for f, names := range [...][]string{fieldNone: l.other, fieldFrom: l.from, fieldTo: l.to, fieldCc: l.cc, fieldSubject: l.subject, fieldDate: l.date} {
			for _, n := range names {
				n = foldLabel(n)
				e, ok := v.labels[n]
				if !ok {
					e.f = field(f)
				}
				e.langs = e.langs.or(bit)
				v.labels[n] = e
				v.maxLabelRunes = max(v.maxLabelRunes, utf8.RuneCountInString(n))
			}
		}
		for _, s := range l.forwardSeps {
			s = fold(s)
			if !seen[s] {
				seen[s] = true
				v.stems = append(v.stems, stem{s: s, strong: true})
			}
		}
		for _, p := range l.forwardPrefixes {
			v.fwdPrefix[fold(p)] = v.fwdPrefix[fold(p)].or(bit)
		}
		for _, p := range l.replyPrefixes {
			v.replyPrefix[fold(p)] = v.replyPrefix[fold(p)].or(bit)
		}
	}
	// Weak stems after the strong ones: "original message" must not hide
	// a "forwarded original message".
	for _, l := range languages {
		for _, s := range l.originalSeps {
			s = fold(s)
			if !seen[s] {
				seen[s] = true
				v.stems = append(v.stems, stem{s: s})
			}
		}
	}
	return v
}

// foldLabel is the form labels are compared in: lower case (see fold),
// inner runs of white space (including no-break spaces) as one space.
func foldLabel(s string) string {
	return strings.Join(strings.Fields(fold(s)), " ")
}

// folder removes what changes no letter: Turkish "İ" lower-cases to "i"
// plus a combining dot, Persian writes a zero-width non-joiner inside
// words some clients drop, and Arabic vowel marks (harakat) are optional.
var folder = strings.NewReplacer(
	"\u0307", "", "\u200c", "",
	"\u064b", "", "\u064c", "", "\u064d", "", "\u064e", "", "\u064f", "",
	"\u0650", "", "\u0651", "", "\u0652", "", "\u0640", "",
)

// fold lower-cases s and removes the marks folder lists.
func fold(s string) string {
	s = strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xc2 {
			return folder.Replace(s)
		}
	}
	return s
}

// lookupLabel returns the meaning of a label as written (any case, spaces
// and bold markers around it trimmed).
func lookupLabel(s string) (label, bool) {
	s = strings.Trim(s, " \t*_\u00a0")
	if s == "" || len(s) > 4*vocab.maxLabelRunes {
		return label{}, false
	}
	l, ok := vocab.labels[foldLabel(s)]
	return l, ok
}

// classifyLabel says whether a separator label names a forward (strong), an
// original message (weak) or neither.
func classifyLabel(text string) sepKind {
	if len(text) > 200 {
		return sepNone
	}
	l := fold(text)
	for _, s := range vocab.stems {
		if strings.Contains(l, s.s) {
			if s.strong {
				return sepStrong
			}
			return sepWeak
		}
	}
	return sepNone
}
