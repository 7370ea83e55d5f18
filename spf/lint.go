package spf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Level grades a lint Problem.
type Level int

// The levels of a lint Problem.
const (
	// Warning: receivers evaluate the record, but it is fragile, slow or
	// more permissive than intended.
	Warning Level = iota + 1
	// Error: receivers get permerror or an unintended result.
	Error
)

// String returns "error" or "warning".
func (s Level) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Problem is one finding of Lint.
type Problem struct {
	Level Level `json:"level,omitempty"`
	// Code is a stable identifier: "syntax", "multiple-records",
	// "no-record", "dns", "too-many-lookups", "void-lookup",
	// "void-lookups", "loop",
	// "too-many-mx", "ptr", "pass-all", "neutral-all", "no-all",
	// "after-all", "redirect-with-all", "split-glues-terms",
	// "string-too-long", "record-too-long", "include-no-record",
	// "macro".
	Code string `json:"code,omitempty"`
	// Domain whose record has the problem ("" for a record given as text).
	Domain string `json:"domain,omitempty"`
	// Pos is the byte offset in that record, or -1.
	Pos int `json:"pos,omitempty"`
	// Term is the term concerned, as written, or "".
	Term string `json:"term,omitempty"`
	// Message says what is wrong and what to do, in words.
	Message string `json:"message,omitempty"`
}

// String formats the problem on one line: severity, domain, offset and
// term, message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Level.String())
	if p.Domain != "" {
		b.WriteString(": ")
		b.WriteString(p.Domain)
	}
	if p.Pos >= 0 {
		fmt.Fprintf(&b, " (offset %d", p.Pos)
		if p.Term != "" {
			fmt.Fprintf(&b, ", %q", p.Term)
		}
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// IncludeCount is the lookup cost of one include: or redirect= term.
type IncludeCount struct {
	Domain  string `json:"domain,omitempty"`  // the domain whose record holds the term
	Term    string `json:"term,omitempty"`    // as written
	Target  string `json:"target,omitempty"`  // the included or redirected domain
	Lookups int    `json:"lookups,omitempty"` // 1 for the term itself plus every lookup under it
}

// LintReport is the outcome of Lint and LintRecord.
type LintReport struct {
	Domain string `json:"domain,omitempty"` // "" for LintRecord
	Record string `json:"record,omitempty"` // the SPF record linted, "" if none was found
	// Lookups is the worst-case number of DNS-querying terms a check
	// evaluates (every term, includes and redirect followed); more than 10
	// gives permerror.
	Lookups int `json:"lookups,omitempty"`
	// WorstPath is the chain of domains, from the checked one down, that
	// contributes most lookups.
	WorstPath []string `json:"worst_path,omitempty"`
	// Includes lists every include: and redirect= in evaluation order with
	// its cost.
	Includes []IncludeCount `json:"includes,omitempty"`
	// VoidLookups counts lookups that found nothing (more than 2 gives
	// permerror).
	VoidLookups int       `json:"void_lookups,omitempty"`
	Problems    []Problem `json:"problems,omitempty"`
}

// HasErrors reports whether a Problem has Level Error.
func (r *LintReport) HasErrors() bool {
	for _, p := range r.Problems {
		if p.Level == Error {
			return true
		}
	}
	return false
}

// TXTStringsResolver is implemented by resolvers that return the character
// strings of each TXT record unjoined (dnstest.Zone does; *net.Resolver
// does not). Lint uses it to find 255-byte splits that glue two terms.
type TXTStringsResolver interface {
	LookupTXTStrings(ctx context.Context, name string) ([][]string, error)
}

// LintOptions tunes Lint, LintRecord, Merge and Authorizes. A nil
// *LintOptions means the defaults.
type LintOptions struct {
	// Resolver answers DNS queries. Nil means net.DefaultResolver.
	Resolver Resolver
	// NoFollow, when true, lints only the given record: includes and
	// redirect are not fetched. False follows them.
	NoFollow bool
}

type linter struct {
	ctx   context.Context
	res   Resolver
	opts  *LintOptions
	rep   *LintReport
	stack []string
}

func newLinter(ctx context.Context, opts *LintOptions, rep *LintReport) *linter {
	if opts == nil {
		opts = &LintOptions{}
	}
	l := &linter{ctx: ctx, res: opts.Resolver, opts: opts, rep: rep}
	if l.res == nil {
		l.res = net.DefaultResolver
	}
	return l
}

func (l *linter) add(sev Level, code, domain string, pos int, term, format string, args ...any) {
	l.rep.Problems = append(l.rep.Problems, Problem{Level: sev, Code: code, Domain: domain, Pos: pos, Term: term, Message: fmt.Sprintf(format, args...)})
}

// Lint fetches domain's SPF record and reports its problems, following
// includes and redirect to count lookups. The error is non-nil only when
// ctx ends; DNS failures are reported as problems.
func Lint(ctx context.Context, domain string, opts *LintOptions) (*LintReport, error) {
	domain = strings.TrimSuffix(domain, ".")
	rep := &LintReport{Domain: domain}
	l := newLinter(ctx, opts, rep)
	rec, n, path := l.fetch(domain, "", -1, "", true)
	if rec != nil {
		rep.Record = rec.Raw
	}
	rep.Lookups, rep.WorstPath = n, path
	l.finish("")
	return rep, ctx.Err()
}

// LintRecord reports the problems of an SPF record given as text; with
// opts.NoFollow false it fetches includes and redirect to count lookups.
func LintRecord(ctx context.Context, record string, opts *LintOptions) *LintReport {
	rep := &LintReport{Record: record}
	l := newLinter(ctx, opts, rep)
	rec, err := Parse(record)
	if err != nil {
		l.syntax("", err)
		return rep
	}
	rep.Lookups, rep.WorstPath = l.walk(rec, "")
	l.finish("")
	return rep
}

func (l *linter) syntax(domain string, err error) {
	var se *SyntaxError
	if errors.As(err, &se) {
		l.add(Error, "syntax", domain, se.Pos, se.Term, "%s; receivers return permerror", se.Msg)
		return
	}
	l.add(Error, "syntax", domain, -1, "", "%v", err)
}

func (l *linter) finish(domain string) {
	r := l.rep
	if r.Lookups > 10 {
		l.add(Error, "too-many-lookups", r.Domain, -1, "",
			"the record needs %d DNS lookups in the worst case (through %s); receivers return permerror above 10 — flatten or remove includes",
			r.Lookups, strings.Join(r.WorstPath, " -> "))
	}
	if r.VoidLookups > 2 {
		l.add(Error, "void-lookups", r.Domain, -1, "",
			"%d lookups find no records; receivers return permerror above 2 — remove the terms naming domains that do not exist", r.VoidLookups)
	}
}

// fetch gets and lints the record of domain; term/pos name the include
// or redirect that led here (for problems). It returns the record (nil if
// none), its worst-case lookups and the worst path.
func (l *linter) fetch(domain, from string, pos int, term string, top bool) (*Record, int, []string) {
	for _, d := range l.stack {
		if strings.EqualFold(d, domain) {
			l.add(Error, "loop", from, pos, term, "%s leads back to %s (%s); receivers return permerror",
				term, domain, strings.Join(append(append([]string(nil), l.stack...), domain), " -> "))
			return nil, 0, nil
		}
	}
	var recs []string
	var split [][]string
	if sr, ok := l.res.(TXTStringsResolver); ok {
		raw, err := sr.LookupTXTStrings(l.ctx, domain)
		if err != nil && !notFound(err) {
			l.add(Error, "dns", domain, -1, "", "TXT lookup failed: %v; receivers return temperror", err)
			return nil, 0, nil
		}
		for _, s := range raw {
			j := strings.Join(s, "")
			if IsSPF(j) {
				recs = append(recs, j)
				split = append(split, s)
			}
		}
	} else {
		txts, err := l.res.LookupTXT(l.ctx, domain)
		if err != nil && !notFound(err) {
			l.add(Error, "dns", domain, -1, "", "TXT lookup failed: %v; receivers return temperror", err)
			return nil, 0, nil
		}
		for _, t := range txts {
			if IsSPF(t) {
				recs = append(recs, t)
			}
		}
	}
	switch {
	case len(recs) == 0 && top:
		l.add(Error, "no-record", domain, -1, "", "no SPF record (a TXT record starting with \"v=spf1\"); receivers return none")
		return nil, 0, nil
	case len(recs) == 0:
		l.add(Error, "include-no-record", from, pos, term, "%s has no SPF record; receivers return permerror", domain)
		return nil, 0, nil
	case len(recs) > 1:
		l.add(Error, "multiple-records", domain, -1, "",
			"%d SPF records are published; only one may exist, receivers return permerror — merge them into one: %q", len(recs), strings.Join(recs, " | "))
		return nil, 0, nil
	}
	if split != nil {
		l.checkSplit(domain, split[0])
	}
	rec, err := Parse(recs[0])
	if err != nil {
		l.syntax(domain, err)
		return nil, 0, nil
	}
	l.stack = append(l.stack, domain)
	n, path := l.walk(rec, domain)
	l.stack = l.stack[:len(l.stack)-1]
	return rec, n, append([]string{domain}, path...)
}

// checkSplit looks at where a record was cut into strings.
func (l *linter) checkSplit(domain string, strs []string) {
	off := 0
	for i, s := range strs {
		if len(s) > 255 {
			l.add(Error, "string-too-long", domain, off, "", "TXT string %d is %d bytes; DNS strings hold at most 255 — split it", i+1, len(s))
		}
		if i > 0 && s != "" && s[0] != ' ' {
			prev := strs[i-1]
			if prev != "" && prev[len(prev)-1] != ' ' && startsTerm(s) {
				a := prev[strings.LastIndexByte(prev, ' ')+1:]
				b := s
				if k := strings.IndexByte(b, ' '); k >= 0 {
					b = b[:k]
				}
				l.add(Error, "split-glues-terms", domain, off, a+b,
					"TXT strings %d and %d are joined without a space, so %q and %q read as %q — end string %d with a space",
					i, i+1, a, b, a+b, i)
			}
		}
		off += len(s)
	}
}

// startsTerm reports whether s begins like a mechanism or modifier.
func startsTerm(s string) bool {
	if s != "" && strings.IndexByte("+-~?", s[0]) >= 0 {
		s = s[1:]
	}
	i := 0
	for i < len(s) && (isAlpha(s[i]) || isDigit(s[i])) {
		i++
	}
	name := s[:i]
	next := byte(' ')
	if i < len(s) {
		next = s[i]
	}
	if mechanismKind(name) != 0 {
		return next == ' ' || next == ':' || next == '/'
	}
	return (strings.EqualFold(name, "redirect") || strings.EqualFold(name, "exp")) && next == '='
}

// walk lints rec's terms and returns its worst-case lookups and the
// worst include path below it.
func (l *linter) walk(rec *Record, domain string) (int, []string) {
	if len(rec.Raw) > 450 {
		l.add(Warning, "record-too-long", domain, -1, "",
			"the record is %d bytes; with other TXT records the answer may exceed 512 bytes and need TCP (RFC 7208 3.4)", len(rec.Raw))
	}
	total := 0
	var worst []string
	worstN := -1
	allAt := -1
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if allAt >= 0 && t.Kind.IsMechanism() {
			l.add(Warning, "after-all", domain, t.Pos, t.Text, "%s comes after %q and is never evaluated", t.Text, rec.Terms[allAt].Text)
			continue
		}
		switch t.Kind {
		case KindAll:
			allAt = i
			switch t.Qualifier {
			case QualifierPass:
				l.add(Error, "pass-all", domain, t.Pos, t.Text, "%q authorizes every host on the Internet; use \"~all\" or \"-all\"", t.Text)
			case QualifierNeutral:
				l.add(Warning, "neutral-all", domain, t.Pos, t.Text, "%q asserts nothing about other hosts; prefer \"~all\" or \"-all\"", t.Text)
			}
		case KindPTR:
			total++
			l.add(Warning, "ptr", domain, t.Pos, t.Text, "the ptr mechanism is slow and unreliable and RFC 7208 5.5 says not to use it; list the addresses with ip4:/ip6: or a:")
		case KindA, KindExists:
			total++
			l.checkVoid(t, domain)
		case KindMX:
			total++
			l.checkMX(t, domain)
		case KindInclude:
			n, path := l.follow(t, domain)
			total += n
			if n > worstN {
				worstN, worst = n, path
			}
		}
	}
	if rec.Redirect != nil {
		if allAt >= 0 {
			l.add(Warning, "redirect-with-all", domain, rec.Redirect.Pos, rec.Redirect.Text,
				"%s is ignored because the record has %q", rec.Redirect.Text, rec.Terms[allAt].Text)
		} else {
			n, path := l.follow(rec.Redirect, domain)
			total += n
			if n > worstN {
				worstN, worst = n, path
			}
		}
	} else if allAt < 0 {
		l.add(Warning, "no-all", domain, -1, "", "the record has no \"all\" (nor redirect=), so other hosts get neutral; end it with \"~all\" or \"-all\"")
	}
	return total, worst
}

func (l *linter) target(t *Term, domain string) (string, bool) {
	if t.Domain == "" {
		return domain, domain != ""
	}
	if strings.IndexByte(t.Domain, '%') >= 0 {
		l.add(Warning, "macro", domain, t.Pos, t.Text, "%s uses macros, so its lookups depend on the message and are not counted here", t.Text)
		return "", false
	}
	return strings.TrimSuffix(t.Domain, "."), true
}

func (l *linter) follow(t *Term, domain string) (int, []string) {
	target, ok := l.target(t, domain)
	ic := IncludeCount{Domain: domain, Term: t.Text, Target: target, Lookups: 1}
	idx := len(l.rep.Includes)
	l.rep.Includes = append(l.rep.Includes, ic)
	if !ok || l.opts.NoFollow {
		return 1, nil
	}
	_, n, path := l.fetch(target, domain, t.Pos, t.Text, false)
	l.rep.Includes[idx].Lookups = 1 + n
	return 1 + n, path
}

func (l *linter) void(t *Term, domain, what string) {
	l.rep.VoidLookups++
	l.add(Warning, "void-lookup", domain, t.Pos, t.Text, "%s finds no %s records (a void lookup; more than 2 give permerror)", t.Text, what)
}

func (l *linter) checkVoid(t *Term, domain string) {
	if l.opts.NoFollow {
		return
	}
	target, ok := l.target(t, domain)
	if !ok {
		return
	}
	_, err := l.res.LookupNetIP(l.ctx, "ip", target)
	if err != nil && notFound(err) {
		l.void(t, domain, "address")
	} else if err != nil {
		l.add(Warning, "dns", domain, t.Pos, t.Text, "address lookup of %s failed: %v; receivers may return temperror", target, err)
	}
}

func (l *linter) checkMX(t *Term, domain string) {
	if l.opts.NoFollow {
		return
	}
	target, ok := l.target(t, domain)
	if !ok {
		return
	}
	mxs, err := l.res.LookupMX(l.ctx, target)
	switch {
	case err != nil && notFound(err):
		l.void(t, domain, "MX")
	case err != nil:
		l.add(Warning, "dns", domain, t.Pos, t.Text, "MX lookup of %s failed: %v; receivers may return temperror", target, err)
	case len(mxs) > 10:
		l.add(Error, "too-many-mx", domain, t.Pos, t.Text, "%s has %d MX names; more than 10 give permerror — list the senders with ip4:/ip6: instead", target, len(mxs))
	}
}
