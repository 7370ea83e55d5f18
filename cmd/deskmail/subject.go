package main

import (
	"fmt"

	"github.com/deskmail/deskmail/threading"
)

const subjectUsage = `
Usage: deskmail subject [-json] TEXT...

Prints the base subject of each Subject header value: RFC 2047 words decoded,
reply and forward prefixes removed (Re:, Fwd:, AW:, SV:, 回复:, 転送: …,
Re[2]:, full-width colons), list tags and "(fwd)" trailers removed, as
RFC 5256 defines it for threading.
`

var subjectCommand = &command{
	name:    "subject",
	summary: "print the base subject of a subject line",
	usage:   subjectUsage,
	run:     runSubject,
}

type subjectJSON struct {
	Input   string `json:"input"`
	Decoded string `json:"decoded"`
	Base    string `json:"base"`
	Reply   bool   `json:"reply_or_forward"`
}

func runSubject(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "subject", subjectUsage)
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) == 0 {
		return usageError(io, subjectUsage, "subject: no subject given")
	}
	for _, in := range pos {
		out := subjectJSON{Input: in, Decoded: threading.DecodeSubject(in), Base: threading.BaseSubject(in), Reply: threading.IsReplyOrForward(in)}
		if *jsonOut {
			writeJSON(io.stdout, out)
			continue
		}
		fmt.Fprintln(io.stdout, out.Base)
	}
	return exitOK
}
