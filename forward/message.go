package forward

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"path"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/internal/htmltext"
	"github.com/deskmail/deskmail/internal/mailparse"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// ErrMalformed is returned by Parse when the message has no header at all.
// A body that cannot be decoded is not an error: the mail is then simply
// not found to be a forward.
var ErrMalformed = errors.New("forward: malformed message")

// Parse reads a raw message (RFC 5322, MIME) and finds what it forwards:
//
//  1. Resent-From (RFC 5322 §3.6.6): the message itself is the original;
//     From is its sender, Forwarder the Resent-From mailbox.
//  2. An inline forward in the body text (see ParseText): the text/plain
//     parts that are not attachments (up to four, one after the other),
//     else (or when the plain text shows no forward) the first text/html
//     part reduced to text.
//  3. A message/rfc822 or message/global part, or an attached .eml file
//     (forward as attachment): its header gives From, To, Cc, Subject and
//     Date, its text the Body, and the outer text the Note.
//
// Forwarder is the outer From in every case.
//
// Parse reads at most Options.MaxBytes, no line longer than
// Options.MaxLineBytes, at most Options.MaxHeaderBytes of header, and
// visits at most Options.MaxParts parts; past any of these it stops with a
// *LimitError wrapping ErrTooLarge. It holds the message in memory while it
// works (the MIME walk is the library's one, over bytes).
func Parse(r io.Reader, opts *Options) (Forward, error) {
	g := &guard{r: r, max: opts.maxBytes(), maxLine: int64(opts.maxLineBytes())}
	size := int64(4096)
	if l, ok := r.(interface{ Len() int }); ok {
		if int64(l.Len()) > opts.maxBytes() {
			return Forward{}, &LimitError{Limit: "bytes", Max: opts.maxBytes()}
		}
		size = int64(l.Len()) + 1
	}
	raw, err := readAll(g, min(size, opts.maxBytes()+1), opts.maxBytes()+1)
	if g.err != nil {
		return Forward{}, g.err
	}
	if err != nil {
		return Forward{}, fmt.Errorf("forward: reading the message: %w", err)
	}
	return parseRaw(raw, opts)
}

// readAll reads r to its end into a buffer of size bytes that grows by
// doubling up to limit bytes, so a message costs at most twice the bound
// in allocations and a reader that knows its length (bytes.Reader,
// strings.Reader) one allocation.
func readAll(r io.Reader, size, limit int64) ([]byte, error) {
	b := make([]byte, 0, max(size, 512))
	for {
		if len(b) == cap(b) {
			if int64(cap(b)) >= limit {
				// full at the bound: one more read tells the guard
				var one [1]byte
				n, err := r.Read(one[:])
				if n == 0 && err == io.EOF {
					return b, nil
				}
				if err != nil && err != io.EOF {
					return b, err
				}
				continue
			}
			nb := make([]byte, len(b), min(2*int64(cap(b)), limit))
			copy(nb, b)
			b = nb
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// ParseBytes is Parse over a message the caller holds in memory. It reads
// raw in place (a copy only to turn CRLF into LF) and has the same bounds.
func ParseBytes(raw []byte, opts *Options) (Forward, error) {
	if int64(len(raw)) > opts.maxBytes() {
		return Forward{}, &LimitError{Limit: "bytes", Max: opts.maxBytes()}
	}
	if longLine(raw, opts.maxLineBytes()) {
		return Forward{}, &LimitError{Limit: "line bytes", Max: int64(opts.maxLineBytes())}
	}
	return parseRaw(raw, opts)
}

// ParseEntity is Parse over a message already read with go-message, for a
// pipeline that parses each mail once. It reads e's body (at most
// Options.MaxBytes of it) and has the bounds of Parse, except the header
// bound, which was the caller's when it read e.
func ParseEntity(e *message.Entity, opts *Options) (Forward, error) {
	if e == nil {
		return Forward{}, fmt.Errorf("%w: no message", ErrMalformed)
	}
	g := &guard{r: e.Body, max: opts.maxBytes(), maxLine: int64(opts.maxLineBytes())}
	body, err := io.ReadAll(g)
	if g.err != nil {
		return Forward{}, g.err
	}
	if err != nil && len(body) == 0 {
		return Forward{}, fmt.Errorf("forward: reading the message: %w", err)
	}
	return parseParts(e.Header.Header, mailparse.NormalizeNewlines(body), opts)
}

// longLine reports a line of b longer than max bytes.
func longLine(b []byte, max int) bool {
	for len(b) > max {
		i := bytes.IndexByte(b, '\n')
		if i < 0 || i > max {
			return true
		}
		b = b[i+1:]
	}
	return false
}

func parseRaw(raw []byte, opts *Options) (Forward, error) {
	raw = mailparse.NormalizeNewlines(raw)
	end := bytes.Index(raw, []byte("\n\n"))
	if end < 0 {
		end = len(raw)
	}
	if end > opts.maxHeaderBytes() {
		return Forward{}, &LimitError{Limit: "header bytes", Max: int64(opts.maxHeaderBytes())}
	}
	h, body, err := mailparse.ReadHeader(raw)
	if err != nil {
		return Forward{}, fmt.Errorf("%w: %s", ErrMalformed, deskmail.Sanitize(err.Error()))
	}
	return parseParts(h, body, opts)
}

// parseParts is the shared work of Parse, ParseBytes and ParseEntity.
func parseParts(h textproto.Header, body []byte, opts *Options) (Forward, error) {
	subject := decodeHeader(h.Get("Subject"))
	forwarder := firstAddress(h.Get("From"))

	w := walk(h, body, opts)
	if w.truncated {
		return Forward{}, &LimitError{Limit: "parts", Max: int64(opts.maxParts())}
	}
	if rf := h.Get("Resent-From"); rf != "" {
		if orig := firstAddress(h.Get("From")); orig.Domain != "" {
			return Forward{
				Forwarded: true,
				Method:    MethodResent,
				Evidence:  "Resent-From header",
				From:      orig,
				To:        addressList(h.Get("To")),
				Cc:        addressList(h.Get("Cc")),
				Subject:   subject,
				Date:      h.Get("Date"),
				Time:      headerDate(h),
				Body:      strings.TrimSpace(normalize(w.text(), opts.maxScan())),
				Forwarder: firstAddress(rf),
			}, nil
		}
	}

	text := w.text()
	env := &envelope{autoReply: autoReply(h)}
	env.recipients = map[string]bool{}
	for _, a := range append(addressList(h.Get("To")), addressList(h.Get("Cc"))...) {
		env.recipients[strings.ToLower(a.Addr())] = true
	}
	out := parseText(subject, text, opts, env)
	out.Forwarder = forwarder
	if out.Forwarded {
		return out, nil
	}
	if w.html != "" && strings.TrimSpace(w.plain) != "" {
		// Some clients put a stub or a lossy rendering in text/plain.
		if hf := parseText(subject, htmltext.FromHTML(w.html), opts, env); hf.Forwarded {
			hf.Forwarder = forwarder
			return hf, nil
		}
	}
	if w.attached != nil {
		ih, ibody, err := mailparse.ReadHeader(mailparse.NormalizeNewlines(w.attached))
		if from := firstAddress(ih.Get("From")); err == nil && from.Domain != "" {
			iw := walk(ih, ibody, opts)
			return Forward{
				Forwarded: true,
				Method:    MethodAttached,
				Evidence:  w.attachedBy,
				From:      from,
				To:        addressList(ih.Get("To")),
				Cc:        addressList(ih.Get("Cc")),
				Subject:   decodeHeader(ih.Get("Subject")),
				Date:      ih.Get("Date"),
				Time:      headerDate(ih),
				Body:      strings.TrimSpace(normalize(iw.text(), opts.maxScan())),
				Note:      strings.TrimSpace(normalize(text, opts.maxScan())),
				Forwarder: forwarder,
			}, nil
		}
	}
	if out.Subject == "" {
		out.Subject = subject
	}
	return out, nil
}

// maxPlainParts is how many inline text/plain parts are read.
const maxPlainParts = 4

// parts is what a walk keeps: the first plain and HTML text and the first
// attached message.
type parts struct {
	plain, html string
	attached    []byte
	attachedBy  string
	truncated   bool
}

func walk(h textproto.Header, body []byte, opts *Options) *parts {
	w := &parts{}
	scan := opts.maxScan()
	havePlain, haveHTML := false, false
	plainParts := 0
	w.truncated = mailparse.Walk(h, body, mailparse.Limits{MaxParts: opts.maxParts()}, func(p *mailparse.Part) bool {
		disp, dparams, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		switch {
		case p.Parent == "multipart/report":
			// A delivery, disposition or feedback report (RFC 6522)
			// returns the message it is about: not a forward.
		case p.Type == "message/rfc822" || p.Type == "message/global":
			w.attach(p, p.Type+" part")
		case isEMLName(dparams["filename"]) || isEMLName(p.Params["name"]):
			w.attach(p, "attached .eml file")
		case disp == "attachment":
		case p.Type == "text/plain":
			// Inline text parts in a row (a note, then a pasted mail) are
			// read as one text, up to the scan window.
			if plainParts < maxPlainParts && len(w.plain) < scan {
				if havePlain {
					w.plain += "\n\n"
				}
				w.plain += decodeText(p, scan-len(w.plain))
				havePlain = true
				plainParts++
			}
		case p.Type == "text/html":
			if !haveHTML {
				w.html, haveHTML = decodeText(p, 4*scan), true
			}
		}
		return true
	})
	return w
}

// decodeText decodes the start of a text part: enough raw bytes for max
// bytes of text.
func decodeText(p *mailparse.Part, max int) string {
	if len(p.Raw) > 2*max {
		p.Raw = p.Raw[:2*max]
	}
	return string(p.Decoded())
}

// attach keeps the first attached message.
func (w *parts) attach(p *mailparse.Part, by string) {
	if w.attached == nil {
		w.attached, w.attachedBy = mailparse.DecodeTransfer(p.Header.Get("Content-Transfer-Encoding"), p.Raw), by
	}
}

func isEMLName(name string) bool {
	return strings.EqualFold(path.Ext(name), ".eml")
}

func (w *parts) text() string {
	if strings.TrimSpace(w.plain) != "" {
		return w.plain
	}
	if w.html != "" {
		return htmltext.FromHTML(w.html)
	}
	return w.plain
}

// guard reads at most max bytes from r, no line longer than maxLine, and
// remembers which bound stopped it.
type guard struct {
	r            io.Reader
	max, n       int64
	maxLine, col int64
	err          error
}

func (g *guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if rest := g.max + 1 - g.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	b := p[:n]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			g.col += int64(len(b))
			break
		}
		g.col += int64(i)
		if g.col > g.maxLine {
			break
		}
		g.col = 0
		b = b[i+1:]
	}
	switch {
	case g.n > g.max:
		g.err = &LimitError{Limit: "bytes", Max: g.max}
	case g.col > g.maxLine:
		g.err = &LimitError{Limit: "line bytes", Max: g.maxLine}
	}
	if g.err != nil {
		return n, g.err
	}
	return n, err
}

var wordDecoder = &mime.WordDecoder{CharsetReader: mailparse.CharsetReader}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// autoReply reports a mail its header marks as an automatic answer:
// Auto-Submitted: auto-replied (RFC 3834), or the X-Autoreply,
// X-Autorespond and Precedence: auto_reply fields older responders write.
func autoReply(h textproto.Header) bool {
	as := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted")))
	return strings.HasPrefix(as, "auto-replied") || h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" ||
		strings.EqualFold(strings.TrimSpace(h.Get("Precedence")), "auto_reply")
}

func headerDate(h textproto.Header) time.Time {
	t, _ := mail.ParseDate(h.Get("Date"))
	return t
}

func firstAddress(s string) deskmail.Address {
	if s == "" {
		return deskmail.Address{}
	}
	if a, err := deskmail.ParseAddress(s); err == nil {
		return a
	}
	if list, _ := deskmail.ParseAddressList(s); len(list) > 0 {
		return list[0]
	}
	return deskmail.Address{}
}

func addressList(s string) []deskmail.Address {
	list, _ := deskmail.ParseAddressList(s)
	return list
}
