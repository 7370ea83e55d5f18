package spf

import "strings"

// The trace is the readable account of a check, and only that: with
// Options.Trace set, each step writes its line as it happens (into one
// strings.Builder per check, lines separated by newlines; a record's own
// control characters are escaped, so a newline only ends a line). Without
// Options.Trace nothing is recorded and no line is built.

// DNS query names of the lookups the trace names.
const (
	qAddr = iota // A/AAAA
	qMX
	qA
)

var queryNames = [...]string{qAddr: "A/AAAA", qMX: "MX", qA: "A"}

// Trace returns a readable account of the evaluation, one line per step
// ("example.com: v=spf1 mx -all", "example.com: mx does not match", ...),
// ending with "result: <result>"; control characters in records are
// shown as \xNN. It is nil unless the check ran with Options.Trace. Each
// call returns a fresh slice.
func (c *Check) Trace() []string {
	if c.trace == "" {
		return nil
	}
	return strings.Split(c.trace, "\n")
}

// tracing reports whether the check records a trace; callers test it
// before building a line's parts.
func (c *checker) tracing() bool { return c.trace != nil }

// step writes one trace line made of parts.
func (c *checker) step(parts ...string) {
	if c.trace.Len() > 0 {
		c.trace.WriteByte('\n')
	}
	for _, p := range parts {
		writeTrace(c.trace, p)
	}
}

// termError traces a domain-spec that does not expand.
func (c *checker) termError(domain string, t *Term, err error) {
	if c.tracing() {
		c.step(domain, ": ", t.Text, ": ", err.Error(), ": permerror")
	}
}

// expError traces an exp= that does not expand.
func (c *checker) expError(domain string, t *Term, err error) {
	if c.tracing() {
		c.step(domain, ": ", t.Text, ": ", err.Error(), ": no explanation")
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
