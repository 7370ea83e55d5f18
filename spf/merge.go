package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// MergeResult is the outcome of Merge.
type MergeResult struct {
	// Record is the record to publish.
	Record string `json:"record,omitempty"`
	// Changed is false when the record already included the domain.
	Changed bool `json:"changed,omitempty"`
	// Lookups is the worst-case lookup count of Record (includes
	// followed unless LintOptions.NoFollow), and Before that of the
	// record given.
	Lookups int `json:"lookups,omitempty"`
	Before  int `json:"before,omitempty"`
	// Report lints Record.
	Report *LintReport `json:"report,omitempty"`
}

// Merge adds "include:domain" to an SPF record: before the first
// "all", else before redirect= and other modifiers, else at the end. Other
// terms keep their text. An empty record gives "v=spf1 include:domain
// ~all". A record that already includes domain is returned unchanged. The
// error is a *SyntaxError when the record does not parse.
func Merge(ctx context.Context, record, include string, opts *LintOptions) (*MergeResult, error) {
	include = strings.TrimSuffix(strings.TrimSpace(include), ".")
	if err := checkDomainSpec(include); err != nil || strings.IndexByte(include, '%') >= 0 {
		return nil, fmt.Errorf("spf: merge: invalid include domain %q", include)
	}
	record = strings.TrimSpace(record)
	res := &MergeResult{}
	if record == "" {
		res.Record, res.Changed = "v=spf1 include:"+include+" ~all", true
	} else {
		rec, err := Parse(record)
		if err != nil {
			return nil, err
		}
		res.Before = LintRecord(ctx, record, opts).Lookups
		at := -1
		for i := range rec.Terms {
			t := &rec.Terms[i]
			if t.Kind == KindInclude && strings.EqualFold(strings.TrimSuffix(t.Domain, "."), include) {
				res.Record = record
				res.Report = LintRecord(ctx, record, opts)
				res.Lookups = res.Report.Lookups
				return res, nil
			}
			if at < 0 && (t.Kind == KindAll || !t.Kind.IsMechanism()) {
				at = i
			}
		}
		var b strings.Builder
		b.WriteString(record[:6])
		placed := false
		for i := range rec.Terms {
			if i == at {
				b.WriteString(" include:")
				b.WriteString(include)
				placed = true
			}
			b.WriteByte(' ')
			b.WriteString(rec.Terms[i].Text)
		}
		if !placed {
			b.WriteString(" include:")
			b.WriteString(include)
		}
		res.Record, res.Changed = b.String(), true
	}
	res.Report = LintRecord(ctx, res.Record, opts)
	res.Lookups = res.Report.Lookups
	return res, nil
}

// Authorization answers "does this domain's SPF authorize this provider
// or address".
type Authorization struct {
	Authorized bool `json:"authorized,omitempty"`
	// Reason says why, in words, naming the record chain and the term.
	Reason string `json:"reason,omitempty"`
	// Path is the chain of domains from the checked one to the record
	// holding Term.
	Path []string `json:"path,omitempty"`
	// Term is the deciding term as written, or "".
	Term string `json:"term,omitempty"`
}

// AuthorizesInclude reports whether domain's SPF record reaches
// "include:provider" (directly, through nested includes or redirect) with
// a pass qualifier, in a position receivers evaluate, and whether the
// record as a whole stays valid (one record, no syntax error, at most 10
// lookups) — otherwise receivers never see the include.
func AuthorizesInclude(ctx context.Context, domain, provider string, opts *LintOptions) (*Authorization, error) {
	domain = strings.TrimSuffix(domain, ".")
	provider = strings.TrimSuffix(provider, ".")
	rep, err := Lint(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	a := &Authorization{}
	for _, p := range rep.Problems {
		if p.Level != Error || p.Code == "pass-all" {
			continue
		}
		switch p.Code {
		case "no-record":
			a.Reason = fmt.Sprintf("%s publishes no SPF record; publish \"v=spf1 include:%s ~all\"", domain, provider)
		default:
			a.Reason = fmt.Sprintf("%s's SPF record is broken, so receivers ignore its includes: %s", domain, p.Message)
		}
		return a, nil
	}
	l := newLinter(ctx, opts, &LintReport{})
	path, term, why := l.findInclude(domain, provider, nil)
	if term == "" {
		a.Reason = fmt.Sprintf("%s's SPF record does not include %s", domain, provider)
		if why != "" {
			a.Reason += " (" + why + ")"
		}
		a.Reason += fmt.Sprintf("; add \"include:%s\" before \"all\" (deskmail spf merge)", provider)
		return a, nil
	}
	a.Path, a.Term = path, term
	if why != "" {
		a.Reason = fmt.Sprintf("%s reaches %q via %s, but %s", domain, term, strings.Join(path, " -> "), why)
		return a, nil
	}
	a.Authorized = true
	a.Reason = fmt.Sprintf("%s authorizes %s: %q in %s", domain, provider, term, strings.Join(path, " -> "))
	return a, nil
}

// findInclude searches the include tree; why explains a non-authorizing
// find (qualifier, after all).
func (l *linter) findInclude(domain, provider string, stack []string) ([]string, string, string) {
	for _, d := range stack {
		if strings.EqualFold(d, domain) {
			return nil, "", ""
		}
	}
	stack = append(stack, domain)
	txts, err := l.res.LookupTXT(l.ctx, domain)
	if err != nil {
		return nil, "", ""
	}
	var rec *Record
	for _, t := range txts {
		if IsSPF(t) {
			if r, err := Parse(t); err == nil {
				rec = r
			}
		}
	}
	if rec == nil {
		return nil, "", ""
	}
	afterAll := false
	var found []string
	var foundTerm, foundWhy string
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if t.Kind == KindAll {
			afterAll = true
		}
		if t.Kind != KindInclude && t.Kind != KindRedirect {
			continue
		}
		target := strings.TrimSuffix(t.Domain, ".")
		if strings.EqualFold(target, provider) {
			why := ""
			switch {
			case t.Kind == KindRedirect && rec.HasAll():
				why = "redirect= is ignored when the record has \"all\""
			case afterAll:
				why = "it comes after \"all\" and is never evaluated"
			case t.Kind == KindInclude && t.Qualifier != QualifierPass:
				why = fmt.Sprintf("its qualifier %q gives %s, not pass", string(t.Qualifier), t.Qualifier.Result())
			}
			if why == "" {
				return append(stack, target), t.Text, ""
			}
			if foundTerm == "" {
				found, foundTerm, foundWhy = append(append([]string(nil), stack...), target), t.Text, why
			}
			continue
		}
		if strings.IndexByte(target, '%') >= 0 {
			continue
		}
		if p, term, why := l.findInclude(target, provider, stack); term != "" {
			if why == "" && !afterAll && (t.Kind == KindInclude && t.Qualifier == QualifierPass || t.Kind == KindRedirect && !rec.HasAll()) {
				return p, term, ""
			}
			if why == "" {
				why = fmt.Sprintf("%q in %s does not pass it on", t.Text, domain)
			}
			if foundTerm == "" {
				found, foundTerm, foundWhy = p, term, why
			}
		}
	}
	return found, foundTerm, foundWhy
}

// AuthorizesIP reports whether domain's SPF record authorizes ip, by
// running check_host() for postmaster@domain; the reason names the
// deciding mechanism or the error.
func AuthorizesIP(ctx context.Context, domain string, ip netip.Addr, opts *Options) *Authorization {
	c := CheckHost(ctx, ip, domain, "postmaster@"+domain, opts)
	a := &Authorization{Authorized: c.Result == Pass, Term: c.Mechanism}
	if c.MechanismDomain != "" {
		a.Path = []string{c.MechanismDomain}
	}
	switch c.Result {
	case Pass:
		a.Reason = fmt.Sprintf("%s authorizes %s: %q in %s matches", domain, ip, c.Mechanism, c.MechanismDomain)
	case None:
		a.Reason = fmt.Sprintf("%s publishes no SPF record, so nothing is authorized", domain)
	case TempError, PermError:
		a.Reason = fmt.Sprintf("%s's SPF check gives %s: %v", domain, c.Result, c.Err)
	default:
		if c.Mechanism == "default" {
			a.Reason = fmt.Sprintf("%s does not authorize %s: no mechanism matches (%s)", domain, ip, c.Result)
		} else {
			a.Reason = fmt.Sprintf("%s does not authorize %s: %q in %s gives %s", domain, ip, c.Mechanism, c.MechanismDomain, c.Result)
		}
	}
	return a
}
