package bounce

import (
	"bytes"
	"strings"

	"github.com/deskmail/deskmail/internal/mailparse"
)

// field is one "Name: value" line of a delivery-status or feedback block,
// with continuation lines unfolded. The name is lower case.
type field struct{ name, value string }

// fields splits a delivery-status body into header-like fields, keeping
// blank lines as separators (name "").
func fields(b []byte) []field {
	var out []field
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			out = append(out, field{})
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 && out[len(out)-1].name != "" {
			out[len(out)-1].value += " " + string(bytes.TrimSpace(line))
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			continue
		}
		out = append(out, field{
			name:  strings.ToLower(string(bytes.TrimSpace(line[:i]))),
			value: string(bytes.TrimSpace(line[i+1:])),
		})
	}
	return out
}

// stripType removes the "rfc822;" or "smtp;" type prefix of a DSN value.
func stripType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 && i < 16 && !strings.ContainsAny(v[:i], " @<") {
		return strings.TrimSpace(v[i+1:])
	}
	return strings.TrimSpace(v)
}

// parseDSN reads the RFC 3464 delivery-status parts.
func (p *parser) parseDSN() {
	for _, body := range p.dsn {
		var cur *Recipient
		var orig string
		flush := func() {
			if cur != nil {
				if cur.Address == "" {
					cur.Address = orig
				} else if orig != "" && !strings.EqualFold(orig, cur.Address) {
					cur.OriginalRecipient = orig
				}
				if cur.Address != "" || cur.Action != "" || cur.Status != "" {
					p.rep.Recipients = append(p.rep.Recipients, *cur)
				}
			}
			cur, orig = nil, ""
		}
		for _, f := range fields(body) {
			switch f.name {
			case "":
				flush()
			case "reporting-mta":
				if p.rep.ReportingMTA == "" {
					p.rep.ReportingMTA = stripType(f.value)
				}
			case "final-recipient", "original-recipient", "x-actual-recipient":
				addr := cleanAddr(stripType(f.value))
				addr = restoreCase(f.value, addr)
				if cur == nil {
					cur = &Recipient{}
				} else if f.name == "final-recipient" && cur.Address != "" {
					flush()
					cur = &Recipient{}
				}
				if f.name == "final-recipient" {
					cur.Address = addr
				} else if orig == "" {
					orig = addr
				}
			case "action":
				p.ensure(&cur).Action = strings.ToLower(strings.TrimSpace(f.value))
			case "status":
				rc := p.ensure(&cur)
				rc.Status = firstStatus(f.value)
				if i := strings.IndexByte(f.value, '('); i > 0 && rc.Diagnostic == "" {
					// "4.0.0 (host name lookup failure)": the comment says why.
					rc.statusNote = strings.Trim(f.value[i:], "() ")
				}
			case "diagnostic-code":
				rc := p.ensure(&cur)
				rc.Diagnostic = stripType(f.value)
				if strings.HasPrefix(strings.ToLower(f.value), "x-unix") {
					rc.unix = true
				}
			case "disposition":
				// Only refusals reach here (mdnRefusal).
				p.ensure(&cur).mdn = true
			case "remote-mta":
				p.ensure(&cur).RemoteMTA = stripType(f.value)
			}
		}
		flush()
	}
	// A recipient field that is not an address is filled from the prose.
	if len(p.rep.Recipients) > maxRecipients {
		p.rep.Recipients = p.rep.Recipients[:maxRecipients]
	}
	var fill []string
	filled := false
	for i := range p.rep.Recipients {
		if p.rep.Recipients[i].Address != "" {
			continue
		}
		if !filled {
			fill, filled = p.textRecipients(), true
		}
		if len(fill) > 0 {
			p.rep.Recipients[i].Address = fill[0]
			fill = fill[1:]
		}
	}
	// One recipient per address: some MTAs repeat the block for every
	// attempt; the first one stands.
	kept := p.rep.Recipients[:0]
	have := map[string]bool{}
	for _, rc := range p.rep.Recipients {
		k := strings.ToLower(rc.Address)
		if rc.Address != "" && !have[k] {
			have[k] = true
			kept = append(kept, rc)
		}
	}
	p.rep.Recipients = kept
	// Recipients without a diagnostic borrow the text that names them.
	var idx *recipientLines
	for i := range p.rep.Recipients {
		rc := &p.rep.Recipients[i]
		if rc.Diagnostic == "" && rc.statusNote != "" && !strings.Contains(rc.statusNote, "failure)") {
			rc.Diagnostic = rc.statusNote
		}
		if rc.Diagnostic == "" || onlyCodes(rc.Diagnostic) {
			if idx == nil {
				idx = indexRecipients(p.reportText())
			}
			if d := idx.diagnosticFor(rc.Address); d != "" {
				if rc.Diagnostic != "" {
					d = rc.Diagnostic + " " + d
				}
				rc.Diagnostic = d
			}
		}
	}
}

func (p *parser) ensure(cur **Recipient) *Recipient {
	if *cur == nil {
		*cur = &Recipient{}
	}
	return *cur
}

// onlyCodes reports whether a diagnostic holds nothing but codes.
func onlyCodes(s string) bool {
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}

// parseFeedback reads an ARF feedback report (RFC 5965).
func (p *parser) parseFeedback() {
	p.rep.Kind = KindComplaint
	var rcpts []string
	for _, f := range fields(p.feedback) {
		switch f.name {
		case "feedback-type":
			p.rep.FeedbackType = strings.ToLower(f.value)
		case "original-rcpt-to", "removal-recipient":
			rcpts = appendUnique(rcpts, cleanAddr(f.value))
		case "reporting-mta":
			p.rep.ReportingMTA = stripType(f.value)
		}
	}
	p.complaint(rcpts)
}

// complaint records a complaint about rcpts, or about the original
// message's To when the report names no recipient.
func (p *parser) complaint(rcpts []string) {
	p.rep.Kind = KindComplaint
	if len(rcpts) == 0 {
		p.parseOriginal()
		rcpts = splitAddrs(p.rep.Original.To)
	}
	if p.rep.FeedbackType == "" {
		p.rep.FeedbackType = "abuse"
	}
	for _, a := range rcpts {
		if a == "" {
			continue
		}
		p.rep.Recipients = append(p.rep.Recipients, Recipient{
			Address: a, Action: "", Reason: ReasonFeedback,
		})
	}
}

// parseOriginal finds the header of the returned message and reads the
// fields a report needs from it in one pass; Original.Header parses the rest
// on demand.
func (p *parser) parseOriginal() {
	if p.origDone {
		return
	}
	p.origDone = true
	b := p.original
	if b == nil {
		text := p.allText()
		if i := originalStart(text); i >= 0 {
			b = []byte(text[i:])
		}
	}
	if b == nil {
		return
	}
	b = bytes.TrimLeft(b, "\n \t")
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		b = b[:i+1]
	}
	b = trimBrokenHeader(b)
	if len(b) == 0 {
		return
	}
	o := &p.rep.Original
	o.Raw = b
	mailparse.ScanFields(b, func(name, value string) {
		switch {
		case strings.EqualFold(name, "Message-Id") && o.MessageID == "":
			o.MessageID = strings.Trim(value, "<> ")
		case strings.EqualFold(name, "From") && o.From == "":
			o.From = decodeWords(value)
		case strings.EqualFold(name, "To") && o.To == "":
			o.To = decodeWords(value)
		case strings.EqualFold(name, "Subject") && o.Subject == "":
			o.Subject = decodeWords(value)
		case strings.EqualFold(name, "Date") && o.Date == "":
			o.Date = value
		}
	})
}

// trimBrokenHeader keeps the leading lines of b that read as header fields.
func trimBrokenHeader(b []byte) []byte {
	off := 0
	for off < len(b) {
		nl := bytes.IndexByte(b[off:], '\n')
		line := b[off:]
		if nl >= 0 {
			line = b[off : off+nl]
		}
		ok := len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && off > 0
		if !ok {
			if i := bytes.IndexByte(line, ':'); i > 0 && bytes.IndexByte(line[:i], ' ') < 0 {
				ok = true
			}
		}
		if !ok {
			break
		}
		if nl < 0 {
			off = len(b)
			break
		}
		off += nl + 1
	}
	return b[:off]
}
