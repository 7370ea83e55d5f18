package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/senderauth"
)

const dmarcUsage = `
Usage:
  deskmail dmarc check   [-json] [-zone FILE] [-mode rfc9989|rfc7489] DOMAIN...
  deskmail dmarc explain [-json] [-zone FILE] [-mode rfc9989|rfc7489] -from DOMAIN
                         -return-path ADDR|DOMAIN -ip IP [-helo NAME]
                         [-dkim DOMAIN [-selector S]]

check finds the DMARC record that applies to each DOMAIN (RFC 9989 tree
walk, or the RFC 7489 public-suffix lookup with -mode rfc7489), its
organizational domain, and what deserves a look; exit 1 when a domain has no
valid record or a record with warnings.

explain says what SPF, DKIM and DMARC result a receiver will see for mail
From DOMAIN with the given return path, sent to receivers by IP (the relay,
if there is one), signed by the -dkim domain (none when left out; with
-selector the published key is checked). Exit 0 when DMARC passes, 1 when it
does not.

-zone FILE answers DNS from a YAML file in the zonedata form of the RFC 7208
test suite instead of the system resolver.
`

var dmarcCommand = &command{
	name:    "dmarc",
	summary: "check DMARC records, explain SPF/DKIM/DMARC outcomes",
	usage:   dmarcUsage,
	run:     runDMARC,
}

func runDMARC(io *cliIO, args []string) int {
	if len(args) == 0 {
		return usageError(io, dmarcUsage, "dmarc: missing check or explain")
	}
	switch args[0] {
	case "check":
		return runDMARCCheck(io, args[1:])
	case "explain":
		return runDMARCExplain(io, args[1:])
	}
	return usageError(io, dmarcUsage, "dmarc: unknown subcommand %q", args[0])
}

func dmarcOptions(io *cliIO, zone, mode string) (*dmarc.Options, int) {
	o := &dmarc.Options{}
	switch mode {
	case "", "rfc9989":
	case "rfc7489":
		o.Mode = dmarc.PublicSuffix
	default:
		return nil, usageError(io, dmarcUsage, "dmarc: -mode must be rfc9989 or rfc7489")
	}
	res, err := authResolver(zone)
	if err != nil {
		return nil, inputError(io, false, zone, err)
	}
	o.Resolver = res
	return o, exitOK
}

type dmarcCheckJSON struct {
	*dmarc.Discovery
	Error string `json:"error,omitempty"`
}

func runDMARCCheck(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "dmarc check", dmarcUsage)
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	mode := fs.String("mode", "rfc9989", "rfc9989 (tree walk) or rfc7489 (public suffix)")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) == 0 {
		return usageError(io, dmarcUsage, "dmarc check: no domain given")
	}
	o, code := dmarcOptions(io, *zone, *mode)
	if o == nil {
		return code
	}
	code = exitOK
	for _, d := range pos {
		disc, err := dmarc.Discover(context.Background(), d, o)
		if err != nil {
			if *jsonOut {
				writeJSON(io.stdout, dmarcCheckJSON{Discovery: &dmarc.Discovery{Domain: d, Mode: o.Mode.String()}, Error: err.Error()})
			} else {
				fmt.Fprintf(io.stdout, "%s: %v\n", d, err)
			}
			code = exitFail
			continue
		}
		if disc.Record == nil || len(disc.Record.Warnings) > 0 {
			code = exitFail
		}
		if *jsonOut {
			writeJSON(io.stdout, dmarcCheckJSON{Discovery: disc})
			continue
		}
		if disc.Record == nil {
			fmt.Fprintf(io.stdout, "%s: no DMARC record (organizational domain %s, %s)\n", disc.Domain, disc.OrgDomain, disc.Mode)
		} else {
			r := disc.Record
			fmt.Fprintf(io.stdout, "%s: %s\n  found at:    _dmarc.%s\n  org domain:  %s (%s)\n  policy:      p=%s", disc.Domain, r, disc.RecordDomain, disc.OrgDomain, disc.Mode, r.EffectivePolicy())
			if r.SubdomainPolicy != "" {
				fmt.Fprintf(io.stdout, " sp=%s", r.SubdomainPolicy)
			}
			if r.NonexistentPolicy != "" {
				fmt.Fprintf(io.stdout, " np=%s", r.NonexistentPolicy)
			}
			fmt.Fprintf(io.stdout, "\n  alignment:   dkim %s, spf %s\n", alignWord(r.DKIMAlignment), alignWord(r.SPFAlignment))
			for _, w := range r.Warnings {
				fmt.Fprintf(io.stdout, "  warning:     %s\n", w)
			}
		}
		for _, n := range disc.Notes {
			fmt.Fprintf(io.stdout, "  note:        %s\n", n)
		}
	}
	return code
}

func alignWord(a dmarc.Alignment) string {
	if a == dmarc.AlignStrict {
		return "strict"
	}
	return "relaxed"
}

func runDMARCExplain(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "dmarc explain", dmarcUsage)
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	mode := fs.String("mode", "rfc9989", "rfc9989 (tree walk) or rfc7489 (public suffix)")
	from := fs.String("from", "", "From header domain")
	rp := fs.String("return-path", "", "return path (MAIL FROM) address or domain")
	ipStr := fs.String("ip", "", "IP address that hands the mail to receivers")
	helo := fs.String("helo", "", "HELO name of that server")
	dkimDomain := fs.String("dkim", "", "DKIM signing domain (d=); empty = unsigned")
	selector := fs.String("selector", "", "DKIM selector, to check the published key")
	if _, code := parseFlags(fs, args); code != flagsOK {
		return code
	}
	if *from == "" || *ipStr == "" {
		return usageError(io, dmarcUsage, "dmarc explain: -from and -ip are required")
	}
	ip, err := netip.ParseAddr(*ipStr)
	if err != nil {
		return usageError(io, dmarcUsage, "dmarc explain: -ip %q is not an IP address", *ipStr)
	}
	o, code := dmarcOptions(io, *zone, *mode)
	if o == nil {
		return code
	}
	ex, err := senderauth.Explain(context.Background(), &senderauth.Scenario{
		FromDomain: *from, ReturnPath: *rp, IP: ip, HELO: *helo, DKIMDomain: *dkimDomain, DKIMSelector: *selector,
	}, &senderauth.Options{DMARC: o})
	if err != nil {
		return usageError(io, dmarcUsage, "%v", err)
	}
	if *jsonOut {
		writeJSON(io.stdout, ex)
	} else {
		fmt.Fprintln(io.stdout, strings.Join(ex.Summary, "\n"))
		for _, a := range ex.Advice {
			fmt.Fprintln(io.stdout, "advice: "+a)
		}
	}
	if ex.DMARC.Outcome != dmarc.Pass {
		return exitFail
	}
	return exitOK
}
