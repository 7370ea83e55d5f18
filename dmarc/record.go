package dmarc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Policy is a DMARC policy (p=, sp=, np=) and also a receiver's
// disposition of a failing message.
type Policy string

// The policies, from mildest to strictest.
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// lower returns the next milder policy (t=y, pct sampling).
func (p Policy) lower() Policy {
	switch p {
	case PolicyReject:
		return PolicyQuarantine
	default:
		return PolicyNone
	}
}

// Alignment is an identifier alignment mode (adkim=, aspf=).
type Alignment string

// The alignment modes.
const (
	AlignRelaxed Alignment = "r" // same organizational domain
	AlignStrict  Alignment = "s" // exactly the same domain
)

// MaxRecordLen is the longest DMARC record Parse reads, in bytes; a longer
// one is a *SyntaxError.
const MaxRecordLen = 4096

// ErrSyntax is wrapped by every record parse error (a *SyntaxError).
var ErrSyntax = errors.New("dmarc: record syntax error")

// SyntaxError is a DMARC record that does not parse. Tag names the
// offending tag, "" for a structural problem.
type SyntaxError struct {
	Tag    string
	Reason string
}

func (e *SyntaxError) Error() string {
	if e.Tag == "" {
		return "dmarc: " + e.Reason
	}
	return fmt.Sprintf("dmarc: tag %s=: %s", e.Tag, e.Reason)
}

// Unwrap makes errors.Is(err, ErrSyntax) hold.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Record is a parsed DMARC record (RFC 9989, with the RFC 7489 tags).
type Record struct {
	// Policy is p=. Empty when the record leaves it out; RFC 9989 then
	// treats the record as p=none.
	Policy Policy `json:"p,omitempty"`
	// SubdomainPolicy is sp=; empty means "as p".
	SubdomainPolicy Policy `json:"sp,omitempty"`
	// NonexistentPolicy is np= (RFC 9989, RFC 9091); empty means "as sp".
	NonexistentPolicy Policy `json:"np,omitempty"`
	// DKIMAlignment and SPFAlignment are adkim= and aspf=; default relaxed.
	DKIMAlignment Alignment `json:"adkim"`
	SPFAlignment  Alignment `json:"aspf"`
	// Percent is pct= (RFC 7489; removed by RFC 9989): the share of
	// failing mail the policy applies to. 100 when absent.
	Percent int `json:"pct"`
	// PercentSet is whether pct= was present.
	PercentSet bool `json:"-"`
	// Testing is t=y (RFC 9989): apply the next milder policy.
	Testing bool `json:"t,omitempty"`
	// PSD is psd= (RFC 9989): "y" a public suffix domain, "n" an
	// organizational domain, "u" or "" unknown.
	PSD string `json:"psd,omitempty"`
	// AggregateURIs and FailureURIs are rua= and ruf=.
	AggregateURIs []string `json:"rua,omitempty"`
	FailureURIs   []string `json:"ruf,omitempty"`
	// FailureOptions is fo= ("0" when absent).
	FailureOptions []string `json:"fo"`
	// ReportFormat is rf= (RFC 7489; "afrf" when absent).
	ReportFormat []string `json:"rf,omitempty"`
	// ReportInterval is ri= in seconds (RFC 7489; 86400 when absent).
	ReportInterval int `json:"ri,omitempty"`
	// Warnings are things that parse but deserve a look: a missing p=,
	// tags RFC 9989 removed, p=none with no rua= to learn from.
	Warnings []string `json:"warnings,omitempty"`
}

// EffectivePolicy returns p=, or none when p= is absent.
func (r *Record) EffectivePolicy() Policy {
	if r.Policy == "" {
		return PolicyNone
	}
	return r.Policy
}

// IsDMARC reports whether a TXT string is a DMARC record (starts with
// v=DMARC1 followed by ';' or the end), the test RFC 9989 uses to pick
// records at _dmarc.DOMAIN.
func IsDMARC(txt string) bool {
	s := strings.TrimLeft(txt, " \t")
	if len(s) < 8 || !strings.EqualFold(s[:1], "v") {
		return false
	}
	name, rest, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) != "v" {
		return false
	}
	rest = strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(rest, "DMARC1") {
		return false
	}
	rest = strings.TrimLeft(rest[6:], " \t")
	return rest == "" || rest[0] == ';'
}

// Parse parses a DMARC record. It is strict: an unknown value of a known
// tag, a duplicate tag, v= missing or not first, and malformed numbers or
// report URIs are errors wrapping ErrSyntax with a message naming the tag.
// Unknown tags are ignored, as both RFCs require.
func Parse(s string) (*Record, error) {
	if len(s) > MaxRecordLen {
		return nil, &SyntaxError{Reason: fmt.Sprintf("record of %d bytes is over the %d-byte limit", len(s), MaxRecordLen)}
	}
	r := &Record{DKIMAlignment: AlignRelaxed, SPFAlignment: AlignRelaxed, Percent: 100, FailureOptions: []string{"0"}}
	seen := map[string]bool{}
	first := true
	for _, part := range strings.Split(s, ";") {
		part = strings.Trim(part, " \t\r\n")
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, &SyntaxError{Reason: fmt.Sprintf("malformed tag %q: no '='", clip(part))}
		}
		name = strings.ToLower(strings.Trim(name, " \t\r\n"))
		value = strings.Trim(value, " \t\r\n")
		if !isTagName(name) {
			return nil, &SyntaxError{Reason: fmt.Sprintf("malformed tag name %q", clip(name))}
		}
		if seen[name] {
			return nil, &SyntaxError{Tag: name, Reason: "appears twice"}
		}
		seen[name] = true
		if first {
			first = false
			if name != "v" {
				return nil, &SyntaxError{Tag: "v", Reason: "the record must start with v=DMARC1"}
			}
		}
		var err error
		switch name {
		case "v":
			if value != "DMARC1" {
				err = fmt.Errorf("version %q, want DMARC1", clip(value))
			}
		case "p":
			r.Policy, err = parsePolicy(value)
		case "sp":
			r.SubdomainPolicy, err = parsePolicy(value)
		case "np":
			r.NonexistentPolicy, err = parsePolicy(value)
		case "adkim":
			r.DKIMAlignment, err = parseAlignment(value)
		case "aspf":
			r.SPFAlignment, err = parseAlignment(value)
		case "pct":
			r.PercentSet = true
			r.Percent, err = parseInt(value, 0, 100)
		case "t":
			switch strings.ToLower(value) {
			case "y":
				r.Testing = true
			case "n":
			default:
				err = fmt.Errorf("%q is not y or n", clip(value))
			}
		case "psd":
			r.PSD = strings.ToLower(value)
			if r.PSD != "y" && r.PSD != "n" && r.PSD != "u" {
				err = fmt.Errorf("%q is not y, n or u", clip(value))
			}
		case "rua":
			r.AggregateURIs, err = parseURIs(value)
		case "ruf":
			r.FailureURIs, err = parseURIs(value)
		case "fo":
			r.FailureOptions, err = parseList(value, "0", "1", "d", "s")
		case "rf":
			r.ReportFormat = splitColon(value)
			if len(r.ReportFormat) == 0 {
				err = errors.New("empty")
			}
		case "ri":
			r.ReportInterval, err = parseInt(value, 0, 1<<31-1)
		}
		if err != nil {
			return nil, &SyntaxError{Tag: name, Reason: err.Error()}
		}
	}
	if first {
		return nil, &SyntaxError{Reason: "empty record"}
	}
	if !seen["p"] {
		r.Warnings = append(r.Warnings, "no p= tag: RFC 9989 treats the record as p=none (RFC 7489 required p=)")
	}
	if r.EffectivePolicy() == PolicyNone && len(r.AggregateURIs) == 0 {
		r.Warnings = append(r.Warnings, "p=none without rua=: the policy neither protects the domain nor collects reports")
	}
	for _, t := range []string{"pct", "rf", "ri"} {
		if seen[t] {
			r.Warnings = append(r.Warnings, t+"= was removed by RFC 9989; receivers following it ignore the tag")
		}
	}
	if seen["pct"] && r.Percent < 100 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("pct=%d: the policy applies to only %d%% of failing mail (RFC 9989 receivers use t=y instead)", r.Percent, r.Percent))
	}
	return r, nil
}

// String formats the record with the tags that differ from the defaults,
// in the order RFC 9989 lists them.
func (r *Record) String() string {
	parts := []string{"v=DMARC1"}
	add := func(k, v string) { parts = append(parts, k+"="+v) }
	if r.Policy != "" {
		add("p", string(r.Policy))
	}
	if r.SubdomainPolicy != "" {
		add("sp", string(r.SubdomainPolicy))
	}
	if r.NonexistentPolicy != "" {
		add("np", string(r.NonexistentPolicy))
	}
	if r.DKIMAlignment == AlignStrict {
		add("adkim", "s")
	}
	if r.SPFAlignment == AlignStrict {
		add("aspf", "s")
	}
	if r.PercentSet {
		add("pct", strconv.Itoa(r.Percent))
	}
	if r.Testing {
		add("t", "y")
	}
	if r.PSD != "" {
		add("psd", r.PSD)
	}
	if len(r.AggregateURIs) > 0 {
		add("rua", strings.Join(r.AggregateURIs, ","))
	}
	if len(r.FailureURIs) > 0 {
		add("ruf", strings.Join(r.FailureURIs, ","))
	}
	if len(r.FailureOptions) > 0 && !(len(r.FailureOptions) == 1 && r.FailureOptions[0] == "0") {
		add("fo", strings.Join(r.FailureOptions, ":"))
	}
	if len(r.ReportFormat) > 0 {
		add("rf", strings.Join(r.ReportFormat, ":"))
	}
	if r.ReportInterval != 0 {
		add("ri", strconv.Itoa(r.ReportInterval))
	}
	return strings.Join(parts, "; ")
}

func parsePolicy(v string) (Policy, error) {
	switch p := Policy(strings.ToLower(v)); p {
	case PolicyNone, PolicyQuarantine, PolicyReject:
		return p, nil
	}
	return "", fmt.Errorf("%q is not none, quarantine or reject", clip(v))
}

func parseAlignment(v string) (Alignment, error) {
	switch a := Alignment(strings.ToLower(v)); a {
	case AlignRelaxed, AlignStrict:
		return a, nil
	}
	return "", fmt.Errorf("%q is not r (relaxed) or s (strict)", clip(v))
}

func parseInt(v string, lo, hi int) (int, error) {
	if v == "" || len(v) > 10 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a number", clip(v))
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is outside %d..%d", clip(v), lo, hi)
	}
	return n, nil
}

func splitColon(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ":") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToLower(p))
		}
	}
	return out
}

func parseList(v string, allowed ...string) ([]string, error) {
	out := splitColon(v)
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	for _, x := range out {
		ok := false
		for _, a := range allowed {
			ok = ok || x == a
		}
		if !ok {
			return nil, fmt.Errorf("%q is not one of %s", clip(x), strings.Join(allowed, ", "))
		}
	}
	return out, nil
}

// parseURIs parses a comma-separated list of report URIs, each an
// absolute URI with an optional "!size[kmgt]" suffix.
func parseURIs(v string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(v, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			return nil, errors.New("empty URI in the list")
		}
		base := u
		if i := strings.LastIndexByte(u, '!'); i >= 0 {
			base = u[:i]
			size := strings.TrimRight(strings.ToLower(u[i+1:]), "kmgt")
			if size == "" || strings.TrimLeft(size, "0123456789") != "" || len(u[i+1:])-len(size) > 1 {
				return nil, fmt.Errorf("malformed size limit in %q", clip(u))
			}
		}
		scheme, rest, ok := strings.Cut(base, ":")
		if !ok || scheme == "" || rest == "" || !isScheme(scheme) {
			return nil, fmt.Errorf("%q is not a URI (want mailto:address)", clip(u))
		}
		if strings.EqualFold(scheme, "mailto") && !strings.Contains(rest, "@") {
			return nil, fmt.Errorf("%q has no address", clip(u))
		}
		if strings.ContainsAny(base, " \t<>\"") {
			return nil, fmt.Errorf("%q contains characters a URI cannot", clip(u))
		}
		out = append(out, u)
	}
	return out, nil
}

func isScheme(s string) bool {
	for i, c := range s {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !(alpha || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func isTagName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		alpha := c >= 'a' && c <= 'z'
		if !(alpha || i > 0 && (c == '_' || c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
