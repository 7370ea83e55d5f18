package spf

import (
	"strconv"
	"strings"
)

// The trace is recorded during a check as traceEvent values — a kind, a
// count and references to strings, terms and errors that exist anyway —
// and rendered as text only when Check.Trace is called. Recording costs a
// struct store per step: no formatting, no copying of text, no error
// messages built for checks whose trace nobody reads.

type traceKind uint8

const (
	evInvalidDomain traceKind = iota + 1 // domain
	evLookupLimit                        // domain, term, n = lookups
	evVoidLimit                          // domain, arg = what, n = voids
	evNoTXT                              // domain
	evTXTFailed                          // domain, err
	evNoSPF                              // domain, n = TXT records
	evMultipleSPF                        // domain, n = SPF records
	evRecord                             // domain, arg = record text
	evParseError                         // domain, err
	evLoop                               // domain
	evMatch                              // domain, term
	evNoMatch                            // domain, term
	evTermError                          // domain, term, err (target expansion)
	evTarget                             // domain, term, arg = target (include, redirect)
	evRedirectNone                       // domain, arg = target
	evDefault                            // domain
	evIncludeNone                        // domain, term
	evTooManyMX                          // domain, term, n = MX names
	evMXAddrFailed                       // domain, term, arg = MX host, err
	evVoid                               // domain, term, n = query, arg = target
	evLookupFailed                       // domain, term, n = query, arg = target, err
	evExpTermError                       // domain, term, err
	evExpNoTXT                           // domain, term, arg = target
	evExplanation                        // domain, arg = explanation
)

// DNS query names of evVoid and evLookupFailed (traceEvent.n).
const (
	qAddr = iota // A/AAAA
	qMX
	qA
)

var queryNames = [...]string{qAddr: "A/AAAA", qMX: "MX", qA: "A"}

// traceEvent is one step of a check's trace.
type traceEvent struct {
	kind   traceKind
	n      int32
	domain string
	term   *Term
	arg    string
	err    error
}

// Trace returns a readable account of the evaluation, one line per step
// ("example.com: v=spf1 mx -all", "example.com: mx does not match", ...),
// ending with "result: <result>"; control characters in records are
// shown as \xNN. It is nil when the check ran with Options.NoTrace.
//
// The check records its steps compactly and Trace renders the lines on
// each call (safe for concurrent use), so a caller that never reads the
// trace does not pay for the text.
func (c *Check) Trace() []string {
	if c.trace == nil {
		return nil
	}
	var b strings.Builder
	b.Grow(64*len(c.trace) + 32) // lines average about 50 bytes
	for i := range c.trace {
		c.trace[i].render(&b, c)
		b.WriteByte('\n')
	}
	b.WriteString("result: ")
	writeTrace(&b, string(c.Result))
	s := b.String()
	out := make([]string, 0, len(c.trace)+1)
	for {
		k := strings.IndexByte(s, '\n')
		if k < 0 {
			return append(out, s)
		}
		out = append(out, s[:k])
		s = s[k+1:]
	}
}

// render writes the line of e (without the newline).
func (e *traceEvent) render(b *strings.Builder, c *Check) {
	w := func(parts ...string) {
		for _, p := range parts {
			writeTrace(b, p)
		}
	}
	text := ""
	if e.term != nil {
		text = e.term.Text
	}
	errText := ""
	if e.err != nil {
		errText = e.err.Error()
	}
	n := strconv.Itoa(int(e.n))
	d := e.domain
	switch e.kind {
	case evInvalidDomain:
		w(d, ": not a valid multi-label domain name: none")
	case evLookupLimit:
		w(d, ": ", text, ": lookup ", n, " exceeds the limit of ", strconv.Itoa(int(c.maxLookups)), ": permerror")
	case evVoidLimit:
		w(d, ": void lookup ", n, " (", e.arg, ") exceeds the limit of ", strconv.Itoa(int(c.maxVoid)), ": permerror")
	case evNoTXT:
		w(d, ": no TXT records: none")
	case evTXTFailed:
		w(d, ": TXT lookup failed: ", errText, ": temperror")
	case evNoSPF:
		w(d, ": no SPF record among ", n, " TXT records: none")
	case evMultipleSPF:
		w(d, ": ", n, " SPF records: permerror")
	case evRecord:
		w(d, ": ", e.arg)
	case evParseError:
		w(d, ": ", errText, ": permerror")
	case evLoop:
		w(d, ": already being evaluated: loop: permerror")
	case evMatch:
		w(d, ": ", text, " matches: ", string(e.term.Qualifier.Result()))
	case evNoMatch:
		w(d, ": ", text, " does not match")
	case evTermError:
		w(d, ": ", text, ": ", errText, ": permerror")
	case evTarget:
		w(d, ": ", text, " -> ", e.arg)
	case evRedirectNone:
		w(d, ": redirect to ", e.arg, " found no SPF record: permerror")
	case evDefault:
		w(d, ": no mechanism matched: neutral")
	case evIncludeNone:
		w(d, ": ", text, " found no SPF record: permerror")
	case evTooManyMX:
		w(d, ": ", text, ": ", n, " MX names, more than 10: permerror")
	case evMXAddrFailed:
		w(d, ": ", text, ": address lookup of ", e.arg, " failed: ", errText, ": temperror")
	case evVoid:
		w(d, ": ", text, ": ", queryNames[e.n], " ", e.arg, ": not found (void lookup)")
	case evLookupFailed:
		w(d, ": ", text, ": ", queryNames[e.n], " lookup of ", e.arg, " failed: ", errText, ": temperror")
	case evExpTermError:
		w(d, ": ", text, ": ", errText, ": no explanation")
	case evExpNoTXT:
		w(d, ": ", text, ": no single TXT record at ", e.arg, ": no explanation")
	case evExplanation:
		w(d, ": explanation: ", e.arg)
	}
}

// writeTrace writes s with control characters (a record may hold a
// newline) shown as \xNN, keeping one line per step.
func writeTrace(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		} else {
			b.WriteByte(c)
		}
	}
}

// ev records a trace step when the check keeps a trace.
func (c *checker) ev(kind traceKind, domain string, t *Term) {
	if c.trace != nil {
		c.trace = append(c.trace, traceEvent{kind: kind, domain: domain, term: t})
	}
}

// evArg records a trace step with a count, a string and an error.
func (c *checker) evArg(kind traceKind, domain string, t *Term, n int, arg string, err error) {
	if c.trace != nil {
		c.trace = append(c.trace, traceEvent{kind: kind, domain: domain, term: t, n: int32(n), arg: arg, err: err})
	}
}
