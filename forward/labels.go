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

// langSet is a set of indexes into languages.
type langSet uint64

// label is what a label word means: its field and the languages that write
// it.
type label struct {
	f     field
	langs langSet
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
	if len(languages) > 64 {
		panic("forward: more than 64 languages")
	}
	v := &vocabulary{labels: map[string]label{}, fwdPrefix: map[string]langSet{}, replyPrefix: map[string]langSet{}}
	seen := map[string]bool{}
	for i, l := range languages {
		bit := langSet(1) << i
		for f, names := range [...][]string{fieldNone: l.other, fieldFrom: l.from, fieldTo: l.to, fieldCc: l.cc, fieldSubject: l.subject, fieldDate: l.date} {
			for _, n := range names {
				n = foldLabel(n)
				e, ok := v.labels[n]
				if !ok {
					e.f = field(f)
				}
				e.langs |= bit
				v.labels[n] = e
				v.maxLabelRunes = max(v.maxLabelRunes, utf8.RuneCountInString(n))
			}
		}
		for _, s := range l.forwardSeps {
			if !seen[s] {
				seen[s] = true
				v.stems = append(v.stems, stem{s: s, strong: true})
			}
		}
		for _, p := range l.forwardPrefixes {
			v.fwdPrefix[strings.ToLower(p)] |= bit
		}
		for _, p := range l.replyPrefixes {
			v.replyPrefix[strings.ToLower(p)] |= bit
		}
	}
	// Weak stems after the strong ones: "original message" must not hide
	// a "forwarded original message".
	for _, l := range languages {
		for _, s := range l.originalSeps {
			if !seen[s] {
				seen[s] = true
				v.stems = append(v.stems, stem{s: s})
			}
		}
	}
	return v
}

// foldLabel is the form labels are compared in: lower case, inner runs of
// white space (including no-break spaces) as one space.
func foldLabel(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
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
	l := strings.ToLower(text)
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
