package main

import (
	"fmt"

	"github.com/deskmail/deskmail"
)

const addressUsage = `
Usage: deskmail address [-json] [-sep SEP] ADDRESS...

Parses each address as a From or To header would hold it and prints its
normalised parts: display name, local part, ASCII domain, sub-address tag and
the canonical key used for matching.
`

var addressCommand = &command{
	name:    "address",
	summary: "parse and normalise email addresses",
	usage:   addressUsage,
	run:     runAddress,
}

type addressJSON struct {
	Input   string `json:"input"`
	Name    string `json:"name"`
	Local   string `json:"local"`
	Domain  string `json:"domain"`
	Addr    string `json:"addr"`
	Tag     string `json:"tag"`
	Key     string `json:"key"`
	BaseKey string `json:"base_key"`
	Header  string `json:"header"`
	Error   string `json:"error,omitempty"`
}

func runAddress(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "address", addressUsage)
	sep := fs.String("sep", deskmail.DefaultSubaddressSeparator, "sub-address separator")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) == 0 {
		return usageError(io, addressUsage, "address: no address given")
	}
	code = exitOK
	for _, in := range pos {
		a, err := deskmail.ParseAddress(in)
		if err != nil {
			if *jsonOut {
				writeJSON(io.stdout, addressJSON{Input: in, Error: errorText(err)})
			} else {
				fmt.Fprintln(io.stderr, errPrefix+errorText(err))
			}
			code = exitFail
			continue
		}
		out := addressJSON{
			Input: in, Name: a.Name, Local: a.Local, Domain: a.Domain, Addr: a.Addr(),
			Tag: a.Tag(*sep), Key: a.Key(), BaseKey: a.Base(*sep).Key(), Header: a.String(),
		}
		if *jsonOut {
			writeJSON(io.stdout, out)
			continue
		}
		fmt.Fprintf(io.stdout, "%s\n  name:     %s\n  addr:     %s\n  domain:   %s\n  tag:      %s\n  key:      %s\n  base key: %s\n  header:   %s\n",
			deskmail.Sanitize(in), deskmail.Sanitize(out.Name), out.Addr, out.Domain, out.Tag, out.Key, out.BaseKey, out.Header)
	}
	return code
}
