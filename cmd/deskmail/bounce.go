package main

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/deskmail/deskmail/bounce"
)

const bounceUsage = `
Usage: deskmail bounce parse [-json] [FILE...|-]
       deskmail bounce reply [-json] CODE ENHANCED TEXT

parse reads each mail and tells whether it is a bounce (a delivery report,
a complaint or an auto-reply) and, per recipient, the action, status, reply
code, reason (sisimai taxonomy), severity and diagnostic. "-" reads stdin.

reply classifies a reply an SMTP server gave while sending, such as
  deskmail bounce reply 550 5.1.1 "User unknown"
Give "" for a missing enhanced code.
`

var bounceCommand = &command{
	name:    "bounce",
	summary: "classify bounces and send-time SMTP replies",
	usage:   bounceUsage,
	run:     runBounce,
}

type bounceRecipientJSON struct {
	Address    string `json:"address"`
	Action     string `json:"action"`
	Status     string `json:"status"`
	ReplyCode  int    `json:"reply_code"`
	Reason     string `json:"reason"`
	Severity   string `json:"severity"`
	Diagnostic string `json:"diagnostic"`
}

type bounceJSON struct {
	File              string                `json:"file"`
	Bounce            bool                  `json:"bounce"`
	Kind              string                `json:"kind"`
	FeedbackType      string                `json:"feedback_type"`
	OriginalMessageID string                `json:"original_message_id"`
	Recipients        []bounceRecipientJSON `json:"recipients"`
}

func runBounce(io *cliIO, args []string) int {
	if len(args) == 0 {
		return usageError(io, bounceUsage, "bounce: say parse or reply")
	}
	switch args[0] {
	case "parse":
		return runBounceParse(io, args[1:])
	case "reply":
		return runBounceReply(io, args[1:])
	}
	return usageError(io, bounceUsage, "bounce: unknown subcommand %q", args[0])
}

func runBounceParse(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "bounce parse", bounceUsage)
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	code = exitOK
	for _, name := range inputs(pos) {
		var rep *bounce.Report
		data, err := readInput(io, name)
		if err == nil {
			rep, err = bounce.Parse(bytes.NewReader(data))
		}
		if err != nil {
			code = inputError(io, *jsonOut, name, err)
			continue
		}
		out := bounceJSON{File: name, Bounce: rep.IsBounce(), Kind: string(rep.Kind), FeedbackType: rep.FeedbackType,
			OriginalMessageID: rep.Original.MessageID, Recipients: []bounceRecipientJSON{}}
		for _, rc := range rep.Recipients {
			out.Recipients = append(out.Recipients, bounceRecipientJSON{Address: rc.Address, Action: rc.Action, Status: rc.Status,
				ReplyCode: rc.ReplyCode, Reason: string(rc.Reason), Severity: string(rc.Severity), Diagnostic: rc.Diagnostic})
		}
		if *jsonOut {
			writeJSON(io.stdout, out)
			continue
		}
		kind := out.Kind
		if kind == "" {
			kind = "not a report"
		}
		fmt.Fprintf(io.stdout, "%s: %s", name, kind)
		if out.FeedbackType != "" {
			fmt.Fprintf(io.stdout, " (%s)", out.FeedbackType)
		}
		fmt.Fprintln(io.stdout)
		if out.OriginalMessageID != "" {
			fmt.Fprintf(io.stdout, "  original: <%s>\n", out.OriginalMessageID)
		}
		for _, r := range out.Recipients {
			fmt.Fprintf(io.stdout, "  %s  %s %s %s/%s", r.Address, r.Action, r.Status, r.Reason, r.Severity)
			if r.ReplyCode != 0 {
				fmt.Fprintf(io.stdout, " (%d)", r.ReplyCode)
			}
			fmt.Fprintln(io.stdout)
			if r.Diagnostic != "" {
				d := r.Diagnostic
				if len(d) > 200 {
					d = d[:200] + "…"
				}
				fmt.Fprintf(io.stdout, "    %s\n", d)
			}
		}
	}
	return code
}

type replyJSON struct {
	Code      int    `json:"code"`
	Enhanced  string `json:"enhanced"`
	Text      string `json:"text"`
	Reason    string `json:"reason"`
	Severity  string `json:"severity"`
	Status    string `json:"status"`
	Temporary bool   `json:"temporary"`
}

func runBounceReply(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "bounce reply", bounceUsage)
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) != 3 {
		return usageError(io, bounceUsage, "bounce reply: want CODE ENHANCED TEXT")
	}
	code, err := strconv.Atoi(pos[0])
	if err != nil || code < 200 || code > 599 {
		return usageError(io, bounceUsage, "bounce reply: bad reply code %q", pos[0])
	}
	c := bounce.ClassifyReply(code, pos[1], pos[2], nil)
	out := replyJSON{Code: code, Enhanced: pos[1], Text: pos[2], Reason: string(c.Reason), Severity: string(c.Severity),
		Status: c.Status, Temporary: c.Temporary}
	if *jsonOut {
		writeJSON(io.stdout, out)
		return exitOK
	}
	fmt.Fprintf(io.stdout, "reason:    %s\nseverity:  %s\nstatus:    %s\ntemporary: %v\n", out.Reason, out.Severity, out.Status, out.Temporary)
	return exitOK
}
