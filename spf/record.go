package spf

import (
	"net/netip"
	"strconv"
	"strings"
)

// TermKind is the kind of a term of an SPF record.
type TermKind uint8

// The mechanisms and modifiers of RFC 7208 sections 5 and 6.
const (
	KindAll      TermKind = iota + 1 // all
	KindInclude                      // include:domain
	KindA                            // a[:domain][/cidr][//cidr6]
	KindMX                           // mx[:domain][/cidr][//cidr6]
	KindPTR                          // ptr[:domain]
	KindIP4                          // ip4:network[/cidr]
	KindIP6                          // ip6:network[/cidr]
	KindExists                       // exists:domain
	KindRedirect                     // redirect=domain
	KindExp                          // exp=domain
	KindModifier                     // an unknown modifier name=value, ignored
)

var kindNames = [...]string{"", "all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists", "redirect", "exp", "modifier"}

// String returns the mechanism or modifier name ("include").
func (k TermKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// IsMechanism reports whether k is a mechanism (not a modifier).
func (k TermKind) IsMechanism() bool { return k >= KindAll && k <= KindExists }

// CountsLookup reports whether a term of kind k queries DNS and counts
// towards the 10-lookup limit.
func (k TermKind) CountsLookup() bool {
	switch k {
	case KindInclude, KindA, KindMX, KindPTR, KindExists, KindRedirect:
		return true
	}
	return false
}

// Qualifier is the prefix of a mechanism: '+', '-', '~' or '?'.
type Qualifier byte

// The qualifiers.
const (
	QualifierPass     Qualifier = '+'
	QualifierFail     Qualifier = '-'
	QualifierSoftFail Qualifier = '~'
	QualifierNeutral  Qualifier = '?'
)

// Result returns the result a matching mechanism with this qualifier gives.
func (q Qualifier) Result() Result {
	switch q {
	case QualifierFail:
		return Fail
	case QualifierSoftFail:
		return SoftFail
	case QualifierNeutral:
		return Neutral
	}
	return Pass
}

// Term is one mechanism or modifier of a record.
type Term struct {
	Kind TermKind `json:"kind,omitempty"`

	// Qualifier of a mechanism; QualifierPass when none was written.
	// Zero for modifiers.
	Qualifier Qualifier `json:"qualifier,omitempty"`

	// CIDR4 and CIDR6 are the prefix lengths of a and mx (32 and 128 when
	// not written).
	CIDR4 uint8 `json:"cidr4,omitempty"`
	CIDR6 uint8 `json:"cidr6,omitempty"`

	// Pos is the byte offset of the term in the record.
	Pos int `json:"pos,omitempty"`

	// Text is the term as written.
	Text string `json:"text,omitempty"`

	// Name is the modifier name as written, for KindModifier.
	Name string `json:"name,omitempty"`

	// Domain is the domain-spec as written (macros unexpanded) of include,
	// a, mx, ptr, exists, redirect and exp, and the value of an unknown
	// modifier; "" when a, mx or ptr name none (the current domain).
	Domain string `json:"domain,omitempty"`

	// Prefix is the network of ip4 and ip6 (bits as written, address not
	// masked).
	Prefix netip.Prefix `json:"prefix,omitempty"`
}

// String returns the term in canonical form: lower-case names, the
// qualifier only when not '+', default prefix lengths left out.
func (t *Term) String() string {
	var b strings.Builder
	t.appendTo(&b)
	return b.String()
}

func (t *Term) appendTo(b *strings.Builder) {
	if t.Kind.IsMechanism() && t.Qualifier != QualifierPass && t.Qualifier != 0 {
		b.WriteByte(byte(t.Qualifier))
	}
	switch t.Kind {
	case KindModifier:
		b.WriteString(t.Name)
		b.WriteByte('=')
		b.WriteString(t.Domain)
		return
	case KindRedirect, KindExp:
		b.WriteString(t.Kind.String())
		b.WriteByte('=')
		b.WriteString(t.Domain)
		return
	}
	b.WriteString(t.Kind.String())
	switch t.Kind {
	case KindIP4, KindIP6:
		b.WriteByte(':')
		b.WriteString(t.Prefix.Addr().String())
		if (t.Kind == KindIP4 && t.Prefix.Bits() != 32) || (t.Kind == KindIP6 && t.Prefix.Bits() != 128) {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(t.Prefix.Bits()))
		}
		return
	}
	if t.Domain != "" {
		b.WriteByte(':')
		b.WriteString(t.Domain)
	}
	if t.Kind == KindA || t.Kind == KindMX {
		if t.CIDR4 != 32 {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(int(t.CIDR4)))
		}
		if t.CIDR6 != 128 {
			b.WriteString("//")
			b.WriteString(strconv.Itoa(int(t.CIDR6)))
		}
	}
}

// Record is a parsed SPF record.
type Record struct {
	// Raw is the record text as parsed.
	Raw string `json:"raw,omitempty"`
	// Terms in order, modifiers included.
	Terms []Term `json:"terms,omitempty"`
	// Redirect and Exp point into Terms, or are nil.
	Redirect *Term `json:"redirect,omitempty"`
	Exp      *Term `json:"exp,omitempty"`
}

// String serializes the record in canonical form ("v=spf1 mx -all").
func (r *Record) String() string {
	var b strings.Builder
	b.Grow(len(r.Raw))
	b.WriteString("v=spf1")
	for i := range r.Terms {
		b.WriteByte(' ')
		r.Terms[i].appendTo(&b)
	}
	return b.String()
}

// HasAll reports whether the record has an "all" mechanism.
func (r *Record) HasAll() bool {
	for i := range r.Terms {
		if r.Terms[i].Kind == KindAll {
			return true
		}
	}
	return false
}

// SyntaxError is a syntax error in an SPF record; errors.Is(err,
// ErrSyntax) holds.
type SyntaxError struct {
	Pos  int    // byte offset in the record
	Term string // the offending term, or "" for the record as a whole
	Msg  string
}

// Error returns the message with the offset and the term.
func (e *SyntaxError) Error() string {
	if e.Term == "" {
		return "spf: syntax error at offset " + strconv.Itoa(e.Pos) + ": " + e.Msg
	}
	return "spf: syntax error at offset " + strconv.Itoa(e.Pos) + " in " + strconv.Quote(e.Term) + ": " + e.Msg
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// IsSPF reports whether a TXT record is an SPF version 1 record: it starts
// with "v=spf1" (any case) followed by a space or the end.
func IsSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}
