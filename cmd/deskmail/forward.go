package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/forward"
	"github.com/emersion/go-message/textproto"
)

const forwardUsage = `
Usage: deskmail forward [-json] [-subject-file F] FILE...

Finds the message each FILE forwards and prints its original sender, To,
Cc, subject and date. FILE is a raw message (.eml) or, with -subject-file
or when it has no message header, a plain-text body. "-" reads stdin.

A file counts as a raw message when its header has one of Message-ID,
MIME-Version, Content-Type, Received, Return-Path, Delivered-To,
DKIM-Signature or Resent-From; otherwise it is a body.

  -subject-file F   read the subject from F and treat FILE as a body
  -json             one object per file: {"file", "forwarded", "from":
                    {"name", "address"}, "to", "cc", "subject", "date",
                    "method", "evidence"}

Exit status: 0 every file is a forward, 1 some file is not, 2 usage or
input error.
`

var forwardCommand = &command{
	name:    "forward",
	summary: "find the original sender of a forwarded mail",
	usage:   forwardUsage,
	run:     runForward,
}

type forwardMailboxJSON struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type forwardJSON struct {
	File      string               `json:"file"`
	Forwarded bool                 `json:"forwarded"`
	From      forwardMailboxJSON   `json:"from"`
	To        []forwardMailboxJSON `json:"to"`
	Cc        []forwardMailboxJSON `json:"cc"`
	Subject   string               `json:"subject"`
	Date      string               `json:"date"`
	Method    string               `json:"method"`
	Evidence  string               `json:"evidence"`
}

func forwardMailbox(a deskmail.Address) forwardMailboxJSON {
	if a.Local == "" && a.Domain == "" {
		return forwardMailboxJSON{Name: a.Name}
	}
	return forwardMailboxJSON{Name: a.Name, Address: a.Addr()}
}

func forwardMailboxes(list []deskmail.Address) []forwardMailboxJSON {
	out := make([]forwardMailboxJSON, 0, len(list))
	for _, a := range list {
		out = append(out, forwardMailbox(a))
	}
	return out
}

// forwardRawFields are header fields a body text never starts with.
var forwardRawFields = []string{"Message-Id", "Mime-Version", "Content-Type", "Received",
	"Return-Path", "Delivered-To", "Dkim-Signature", "Resent-From"}

func forwardLooksLikeMessage(b []byte) bool {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		return false
	}
	for _, k := range forwardRawFields {
		if h.Has(k) {
			return true
		}
	}
	return false
}

func runForward(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "forward", forwardUsage)
	subjectFile := fs.String("subject-file", "", "read the subject from this file; FILE is a body")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) == 0 {
		return usageError(io, forwardUsage, "forward: no file given")
	}
	subject := ""
	if *subjectFile != "" {
		b, err := os.ReadFile(*subjectFile)
		if err != nil {
			return inputError(io, *jsonOut, *subjectFile, err)
		}
		subject = strings.TrimSpace(string(b))
	}
	code = exitOK
	for _, file := range pos {
		b, err := readInput(io, file)
		if err != nil {
			code = inputError(io, *jsonOut, file, err)
			continue
		}
		var f forward.Forward
		if *subjectFile == "" && forwardLooksLikeMessage(b) {
			f, err = forward.Parse(bytes.NewReader(b), nil)
			if err != nil {
				code = inputError(io, *jsonOut, file, err)
				continue
			}
		} else if f, err = forward.ParseText(subject, string(b), nil); err != nil {
			code = inputError(io, *jsonOut, file, err)
			continue
		}
		if !f.Forwarded && code == exitOK {
			code = exitFail
		}
		out := forwardJSON{
			File: file, Forwarded: f.Forwarded, From: forwardMailbox(f.From), To: forwardMailboxes(f.To), Cc: forwardMailboxes(f.Cc),
			Subject: f.Subject, Date: f.Date, Method: string(f.Method), Evidence: f.Evidence,
		}
		if *jsonOut {
			writeJSON(io.stdout, out)
			continue
		}
		if !f.Forwarded {
			fmt.Fprintf(io.stdout, "%s: not a forward (%s)\n", file, f.Evidence)
			continue
		}
		fmt.Fprintf(io.stdout, "%s: forwarded (%s: %s)\n", file, f.Method, f.Evidence)
		fmt.Fprintf(io.stdout, "  from:    %s\n", f.From.String())
		fmt.Fprintf(io.stdout, "  to:      %s\n", forwardJoin(f.To))
		fmt.Fprintf(io.stdout, "  cc:      %s\n", forwardJoin(f.Cc))
		fmt.Fprintf(io.stdout, "  subject: %s\n", f.Subject)
		fmt.Fprintf(io.stdout, "  date:    %s\n", f.Date)
	}
	return code
}

func forwardJoin(list []deskmail.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
