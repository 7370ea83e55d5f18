package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/spf"
)

const spfUsage = `
Usage:
  deskmail spf check [-json] [-zone FILE] [-receiver NAME] -ip IP -sender ADDR -helo NAME
  deskmail spf lint  [-json] [-zone FILE] DOMAIN... | -record TEXT
  deskmail spf merge [-json] [-zone FILE] -record TEXT -include NAME

check runs RFC 7208 check_host() for the client IP and the MAIL FROM
address (an empty -sender checks postmaster@HELO) and prints the result, the
explanation, the lookup count and a trace; exit 1 unless the result is pass.

lint reports what is wrong with a domain's SPF record (or one given with
-record): several records, syntax errors with their offset, lookups per
include and the worst path, void lookups, loops, more than 10 MX names, ptr,
+all, ?all or no all, terms after all, redirect with all, 255-byte splits that
glue two terms, length. Exit 1 when it finds errors.

merge adds include:NAME to the record before "all" and prints the record to
publish with its new lookup count.

-zone FILE answers DNS from a YAML file in the zonedata form of the RFC 7208
test suite (name: [ {TXT: "v=spf1 ..."}, {A: 192.0.2.1}, {MX: [10, host]} ]);
without it the system resolver is used.
`

var spfCommand = &command{
	name:    "spf",
	summary: "check, lint and merge SPF records (RFC 7208)",
	usage:   spfUsage,
	run:     runSPF,
}

func runSPF(io *cliIO, args []string) int {
	if len(args) == 0 {
		return usageError(io, spfUsage, "spf: missing check, lint or merge")
	}
	switch args[0] {
	case "check":
		return runSPFCheck(io, args[1:])
	case "lint":
		return runSPFLint(io, args[1:])
	case "merge":
		return runSPFMerge(io, args[1:])
	}
	return usageError(io, spfUsage, "spf: unknown subcommand %q", args[0])
}

// spfResolver returns the zone of -zone FILE, or nil for the system
// resolver.
func spfResolver(file string) (spf.Resolver, error) {
	if file == "" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return dnstest.ParseZonedata(data)
}

type spfCheckJSON struct {
	Result      spf.Result `json:"result"`
	Explanation string     `json:"explanation"`
	Lookups     int        `json:"lookups"`
	VoidLookups int        `json:"void_lookups"`
	Mechanism   string     `json:"mechanism,omitempty"`
	Domain      string     `json:"domain"`
	Error       string     `json:"error,omitempty"`
	ReceivedSPF string     `json:"received_spf"`
	Trace       []string   `json:"trace"`
}

func runSPFCheck(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "spf check", spfUsage)
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	ipFlag := fs.String("ip", "", "client IP address")
	sender := fs.String("sender", "", "MAIL FROM address (empty: check the HELO name)")
	helo := fs.String("helo", "", "HELO/EHLO name")
	receiver := fs.String("receiver", "", "this host's name, for %{r} and Received-SPF")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) > 0 {
		return usageError(io, spfUsage, "spf check: unexpected argument %q", pos[0])
	}
	ip, err := netip.ParseAddr(*ipFlag)
	if err != nil {
		return usageError(io, spfUsage, "spf check: -ip: %q is not an IP address", *ipFlag)
	}
	if *sender == "" && *helo == "" {
		return usageError(io, spfUsage, "spf check: give -sender or -helo")
	}
	res, err := spfResolver(*zone)
	if err != nil {
		return inputError(io, *jsonOut, *zone, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := spf.CheckMailFrom(ctx, ip, *sender, *helo, &spf.Options{Resolver: res, Receiver: *receiver, Trace: true})
	out := spfCheckJSON{Result: c.Result, Explanation: c.Explanation, Lookups: c.Lookups, VoidLookups: c.VoidLookups,
		Mechanism: c.Mechanism, Domain: c.Domain, ReceivedSPF: c.ReceivedSPF(), Trace: c.Trace()}
	if c.Err != nil {
		out.Error = c.Err.Error()
	}
	if *jsonOut {
		writeJSON(io.stdout, out)
	} else {
		fmt.Fprintf(io.stdout, "%s\n", c)
		if c.Explanation != "" {
			fmt.Fprintf(io.stdout, "  explanation: %s\n", c.Explanation)
		}
		fmt.Fprintf(io.stdout, "  lookups: %d (void %d)\n  Received-SPF: %s\n  trace:\n", c.Lookups, c.VoidLookups, out.ReceivedSPF)
		for _, l := range out.Trace {
			fmt.Fprintf(io.stdout, "    %s\n", l)
		}
	}
	if c.Result != spf.Pass {
		return exitFail
	}
	return exitOK
}

type spfProblemJSON struct {
	Level   string `json:"level"`
	Code    string `json:"code"`
	Domain  string `json:"domain,omitempty"`
	Pos     int    `json:"pos"`
	Term    string `json:"term,omitempty"`
	Message string `json:"message"`
}

type spfIncludeJSON struct {
	Domain  string `json:"domain"`
	Term    string `json:"term"`
	Target  string `json:"target"`
	Lookups int    `json:"lookups"`
}

type spfLintJSON struct {
	Domain      string           `json:"domain,omitempty"`
	Record      string           `json:"record"`
	Lookups     int              `json:"lookups"`
	WorstPath   []string         `json:"worst_path"`
	Includes    []spfIncludeJSON `json:"includes"`
	VoidLookups int              `json:"void_lookups"`
	Problems    []spfProblemJSON `json:"problems"`
	Errors      bool             `json:"errors"`
}

func lintJSON(r *spf.LintReport) spfLintJSON {
	out := spfLintJSON{Domain: r.Domain, Record: r.Record, Lookups: r.Lookups, WorstPath: r.WorstPath,
		VoidLookups: r.VoidLookups, Errors: r.HasErrors(), Problems: []spfProblemJSON{}, Includes: []spfIncludeJSON{}}
	for _, p := range r.Problems {
		out.Problems = append(out.Problems, spfProblemJSON{Level: p.Level.String(), Code: p.Code, Domain: p.Domain, Pos: p.Pos, Term: p.Term, Message: p.Message})
	}
	for _, i := range r.Includes {
		out.Includes = append(out.Includes, spfIncludeJSON(i))
	}
	return out
}

func printLint(io *cliIO, r *spf.LintReport) {
	if r.Domain != "" {
		fmt.Fprintf(io.stdout, "%s\n", r.Domain)
	}
	fmt.Fprintf(io.stdout, "  record:  %s\n  lookups: %d", r.Record, r.Lookups)
	if len(r.WorstPath) > 1 {
		fmt.Fprintf(io.stdout, " (worst path %s)", strings.Join(r.WorstPath, " -> "))
	}
	fmt.Fprintln(io.stdout)
	for _, i := range r.Includes {
		fmt.Fprintf(io.stdout, "    %-40s lookups: %d\n", i.Term, i.Lookups)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(io.stdout, "  no problems found")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(io.stdout, "  %s\n", p)
	}
}

func runSPFLint(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "spf lint", spfUsage)
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	record := fs.String("record", "", "lint this record text instead of a domain's")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if (*record == "") == (len(pos) == 0) {
		return usageError(io, spfUsage, "spf lint: give DOMAIN... or -record TEXT")
	}
	res, err := spfResolver(*zone)
	if err != nil {
		return inputError(io, *jsonOut, *zone, err)
	}
	opts := &spf.LintOptions{Resolver: res}
	if *record != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return lintResult(io, *jsonOut, spf.LintRecord(ctx, *record, opts))
	}
	code = exitOK
	for _, domain := range pos {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		rep, err := spf.Lint(ctx, domain, opts)
		cancel()
		c := exitOK
		if err != nil {
			c = inputError(io, *jsonOut, domain, err)
		} else {
			c = lintResult(io, *jsonOut, rep)
		}
		code = max(code, c)
	}
	return code
}

// lintResult prints one lint report and returns exitFail when it has
// errors.
func lintResult(io *cliIO, jsonOut bool, rep *spf.LintReport) int {
	if jsonOut {
		writeJSON(io.stdout, lintJSON(rep))
	} else {
		printLint(io, rep)
	}
	if rep.HasErrors() {
		return exitFail
	}
	return exitOK
}

type spfMergeJSON struct {
	Record  string      `json:"record"`
	Changed bool        `json:"changed"`
	Before  int         `json:"lookups_before"`
	Lookups int         `json:"lookups"`
	Lint    spfLintJSON `json:"lint"`
}

func runSPFMerge(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "spf merge", spfUsage)
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	record := fs.String("record", "", "the current record (empty: start a new one)")
	include := fs.String("include", "", "the domain to include")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) > 0 || *include == "" {
		return usageError(io, spfUsage, "spf merge: give -record TEXT -include NAME")
	}
	res, err := spfResolver(*zone)
	if err != nil {
		return inputError(io, *jsonOut, *zone, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := spf.Merge(ctx, *record, *include, &spf.LintOptions{Resolver: res})
	if err != nil {
		return inputError(io, *jsonOut, "-record", err)
	}
	if *jsonOut {
		writeJSON(io.stdout, spfMergeJSON{Record: m.Record, Changed: m.Changed, Before: m.Before, Lookups: m.Lookups, Lint: lintJSON(m.Report)})
	} else {
		if !m.Changed {
			fmt.Fprintf(io.stdout, "already included; unchanged\n")
		}
		fmt.Fprintf(io.stdout, "%s\n  lookups: %d (before %d)\n", m.Record, m.Lookups, m.Before)
		for _, p := range m.Report.Problems {
			fmt.Fprintf(io.stdout, "  %s\n", p)
		}
	}
	if m.Report.HasErrors() {
		return exitFail
	}
	return exitOK
}
