package forward

import (
	"strings"
	"unicode/utf8"
)

// subjectKind classifies a subject by its first prefix.
type subjectKind uint8

const (
	subjectPlain subjectKind = iota
	subjectForward
	subjectReply
)

// subjectInfo is a classified subject: the prefix as written and the
// languages in which it marks a forward or a reply. "VS" is a forward in
// Norwegian and Danish and a reply in Finnish and Estonian: such a prefix
// is resolved by the language of the header block (resolve).
type subjectInfo struct {
	prefix     string
	rest       string // the subject after the prefix
	fwd, reply langSet
}

// allLangs is every language: the reply set of an auto-reply.
var allLangs = langSet{^uint64(0), ^uint64(0)}

// kind is the subject's kind without a header block to resolve an
// ambiguous prefix: an ambiguous prefix counts as plain.
func (s subjectInfo) kind() subjectKind {
	switch {
	case !s.fwd.none() && s.reply.none():
		return subjectForward
	case !s.reply.none() && s.fwd.none():
		return subjectReply
	}
	return subjectPlain
}

// resolve is kind with the languages of a header block: an ambiguous
// prefix takes the meaning it has in the block's language.
func (s subjectInfo) resolve(langs langSet) subjectKind {
	if k := s.kind(); k != subjectPlain || s.fwd.none() {
		return k
	}
	f, r := !s.fwd.and(langs).none(), !s.reply.and(langs).none()
	switch {
	case f && !r:
		return subjectForward
	case r && !f:
		return subjectReply
	}
	return subjectPlain
}

// classifySubject looks at the first prefix of subject, after any leading
// "[tag]" blocks: "FW:", "WG:", "TR:", "İLT:", "Fwd[2]:" mark a forward,
// "Re:", "AW:", "SV:" a reply.
func classifySubject(subject string) subjectInfo {
	s := strings.TrimSpace(subject)
	for i := 0; i < 5 && strings.HasPrefix(s, "["); i++ {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			break
		}
		s = strings.TrimSpace(s[end+1:])
	}
	head := s
	if len(head) > 64 {
		head = head[:64]
	}
	c := strings.IndexAny(head, ":：")
	if c <= 0 {
		return subjectInfo{}
	}
	_, size := utf8.DecodeRuneInString(s[c:])
	rest := strings.TrimSpace(s[c+size:])
	p := strings.TrimSpace(head[:c])
	// "Re[2]", "Re^2", "Fwd(2)"
	if i := strings.IndexAny(p, "[^("); i > 0 {
		p = strings.TrimSpace(p[:i])
	}
	lp := strings.TrimRight(fold(p), ".") // "Odp.", "Réf."
	info := subjectInfo{prefix: p, rest: rest, fwd: vocab.fwdPrefix[lp], reply: vocab.replyPrefix[lp]}
	if info.fwd.none() && info.reply.none() {
		return subjectInfo{}
	}
	return info
}

// IsForwardSubject reports whether subject begins with a prefix that marks
// a forward in one of the languages this package knows ("Fwd:", "FW:",
// "WG:", "TR:", "RV:", "I:", "PD:", "ENC:", "İLT:", "转发:" …), after any
// leading "[tag]". A prefix that is a forward in one language and a reply
// in another ("VS:", Norwegian and Danish forward, Finnish and Estonian
// reply) counts; the parsers resolve it by the language of the forwarded
// header block.
func IsForwardSubject(subject string) bool {
	return !classifySubject(subject).fwd.none()
}
