package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/deskmail/deskmail/threading"
	"github.com/emersion/go-message/textproto"
)

const threadUsage = `
Usage: deskmail thread [-json] [-no-subject] [MBOX...|-]

Reads each mbox file ("-" for standard input) and prints its thread trees,
built from Message-ID, In-Reply-To and References as RFC 5256 REFERENCES
(JWZ) threads them. Roots with the same base subject are gathered unless
-no-subject is given. Messages referred to but missing from the file are
shown as [missing].
`

var threadCommand = &command{
	name:    "thread",
	summary: "print the thread trees of an mbox file",
	usage:   threadUsage,
	run:     runThread,
}

type threadNodeJSON struct {
	MessageID string            `json:"message_id,omitempty"`
	Subject   string            `json:"subject,omitempty"`
	Date      string            `json:"date,omitempty"`
	Missing   bool              `json:"missing,omitempty"`
	Children  []*threadNodeJSON `json:"children,omitempty"`
}

type threadJSON struct {
	File     string            `json:"file"`
	Messages int               `json:"messages"`
	Threads  []*threadNodeJSON `json:"threads"`
}

func runThread(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "thread", threadUsage)
	noSubject := fs.Bool("no-subject", false, "do not gather roots by base subject")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	code = exitOK
	for _, file := range inputs(pos) {
		msgs, err := readMbox(io, file)
		if err != nil {
			code = inputError(io, *jsonOut, file, err)
			continue
		}
		roots := threading.Threads(msgs, &threading.ThreadOptions{NoSubjectGrouping: *noSubject})
		out := threadJSON{File: file, Messages: len(msgs), Threads: make([]*threadNodeJSON, 0, len(roots))}
		for _, r := range roots {
			out.Threads = append(out.Threads, threadNode(r, msgs))
		}
		if *jsonOut {
			writeJSON(io.stdout, out)
			continue
		}
		fmt.Fprintf(io.stdout, "%s: %d messages, %d threads\n", file, len(msgs), len(roots))
		for _, t := range out.Threads {
			printThread(io.stdout, t, 1)
		}
	}
	return code
}

// threadNode converts a tree for output. It recurses: Go stacks grow, and
// the depth is bounded by the number of messages in the file.
func threadNode(n *threading.Node, msgs []threading.Message) *threadNodeJSON {
	j := &threadNodeJSON{MessageID: n.ID, Missing: n.Index < 0}
	if n.Index >= 0 {
		m := msgs[n.Index]
		j.Subject = threading.DecodeSubject(m.Subject)
		if !m.Date.IsZero() {
			j.Date = m.Date.UTC().Format(time.RFC3339)
		}
	}
	for _, c := range n.Children {
		j.Children = append(j.Children, threadNode(c, msgs))
	}
	return j
}

func printThread(w io.Writer, n *threadNodeJSON, depth int) {
	indent := strings.Repeat("  ", depth)
	switch {
	case n.Missing && n.MessageID == "":
		fmt.Fprintf(w, "%s[same subject]\n", indent)
	case n.Missing:
		fmt.Fprintf(w, "%s[missing] <%s>\n", indent, n.MessageID)
	default:
		date := n.Date
		if date == "" {
			date = "-"
		}
		fmt.Fprintf(w, "%s%s  <%s>  %s\n", indent, n.Subject, n.MessageID, date)
	}
	for _, c := range n.Children {
		printThread(w, c, depth+1)
	}
}

// maxHeader bounds one message's header block read from an mbox.
const maxHeader = 1 << 20

// readMbox reads the headers of every message of an mbox file (mboxo,
// mboxrd and mboxcl alike: a message starts at a "From " line after a blank
// line or at the start of the file). A file without a "From " line is read
// as one message.
func readMbox(cio *cliIO, file string) ([]threading.Message, error) {
	var r io.Reader
	if file == "-" {
		r = cio.stdin
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		msgs     []threading.Message
		header   bytes.Buffer
		inHeader = true
		blank    = true
		started  = false
	)
	flush := func() {
		if started {
			msgs = append(msgs, parseHeaderBlock(header.Bytes()))
		}
		header.Reset()
	}
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// an over-long line: keep what fits in a header, skip the rest
			if inHeader && header.Len() < maxHeader {
				header.Write(line)
			}
			continue
		}
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				return nil, err
			}
			break
		}
		if blank && bytes.HasPrefix(line, []byte("From ")) {
			flush()
			started, inHeader, blank = true, true, false
			continue
		}
		if !started {
			started = true // no From line: one bare message
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		blank = len(trimmed) == 0
		if inHeader {
			if blank {
				inHeader = false
			} else if header.Len() < maxHeader {
				header.Write(trimmed)
				header.WriteString("\r\n")
			}
		}
		if err != nil {
			break
		}
	}
	flush()
	if len(msgs) == 0 {
		return nil, errEmpty
	}
	return msgs, nil
}

func parseHeaderBlock(b []byte) threading.Message {
	h, err := textproto.ReadHeader(bufio.NewReader(io.MultiReader(bytes.NewReader(b), strings.NewReader("\r\n"))))
	if err != nil {
		return threading.Message{}
	}
	m := threading.Message{Subject: h.Get("Subject")}
	if ids := threading.ParseMessageIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.ID = ids[0]
	}
	if ids := threading.ParseMessageIDs(h.Get("In-Reply-To")); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References = threading.ParseMessageIDs(h.Get("References"))
	if d, err := mail.ParseDate(h.Get("Date")); err == nil {
		m.Date = d
	}
	return m
}
