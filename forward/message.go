package forward

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode every common charset
	"github.com/emersion/go-message/mail"
)

// ErrMalformed is returned by Parse when the message header cannot be read
// at all. A body that cannot be decoded is not an error: the mail is then
// simply not found to be a forward.
var ErrMalformed = errors.New("forward: malformed message")

// Parse reads a raw message (RFC 5322, MIME) and finds what it forwards:
//
//  1. Resent-From (RFC 5322 §3.6.6): the message itself is the original;
//     From is its sender, Forwarder the Resent-From mailbox.
//  2. An inline forward in the body text (see ParseText): the first
//     text/plain part that is not an attachment, else (or when the plain
//     text shows no forward) the first text/html part reduced to text.
//  3. A message/rfc822 or message/global part, or an attached .eml file
//     (forward as attachment): its header gives From, To, Cc, Subject and
//     Date, its text the Body, and the outer text the Note.
//
// Forwarder is the outer From in every case.
//
// Parse reads the whole message, through a fixed buffer, and at most
// Options.MaxBytes of it; it visits at most Options.MaxParts parts and
// reads at most Options.MaxHeaderBytes of header and Options.MaxLineBytes
// per line. Past any of these it stops with a *LimitError wrapping
// ErrTooLarge. The error wraps ErrMalformed when the header cannot be
// parsed.
func Parse(r io.Reader, opts *Options) (Forward, error) {
	g := &guard{r: r, max: opts.maxBytes(), maxLine: int64(opts.maxLineBytes())}
	e, err := message.ReadWithOptions(g, &message.ReadOptions{MaxHeaderBytes: int64(opts.maxHeaderBytes())})
	if g.err != nil {
		return Forward{}, g.err
	}
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		if strings.Contains(err.Error(), "exceeds maximum size") {
			return Forward{}, &LimitError{Limit: "header bytes", Max: int64(opts.maxHeaderBytes())}
		}
		return Forward{}, fmt.Errorf("%w: %s", ErrMalformed, deskmail.Sanitize(err.Error()))
	}
	f, err := ParseEntity(e, opts)
	if err == nil {
		// the rest of the message, for the size and line bounds
		_, _ = io.Copy(io.Discard, g)
	}
	if g.err != nil {
		return Forward{}, g.err
	}
	return f, err
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

// ParseEntity is Parse over a message already read with go-message, for a
// pipeline that parses each mail once. It consumes e's body. It visits at
// most Options.MaxParts parts (more: a *LimitError wrapping ErrTooLarge)
// and reads at most Options.MaxScan bytes of each text part; the bound on
// the header is the caller's, set when it read e.
func ParseEntity(e *message.Entity, opts *Options) (Forward, error) {
	if e == nil {
		return Forward{}, fmt.Errorf("%w: no message", ErrMalformed)
	}
	h := mail.Header{Header: e.Header}
	subject := decodeHeader(h.Get("Subject"))
	forwarder := firstAddress(h.Get("From"))

	w := &walker{max: opts.maxParts(), scan: opts.maxScan()}
	if rf := h.Get("Resent-From"); rf != "" {
		if orig := firstAddress(h.Get("From")); orig.Domain != "" {
			w.walk(e, 0)
			if w.err != nil {
				return Forward{}, w.err
			}
			out := Forward{
				Forwarded: true,
				Method:    MethodResent,
				Evidence:  "Resent-From header",
				From:      orig,
				To:        addressList(h.Get("To")),
				Cc:        addressList(h.Get("Cc")),
				Subject:   subject,
				Date:      h.Get("Date"),
				Body:      normalize(w.text(), opts.maxScan()),
				Forwarder: firstAddress(rf),
			}
			out.Time, _ = h.Date()
			return out, nil
		}
	}

	w.walk(e, 0)
	if w.err != nil {
		return Forward{}, w.err
	}
	text := w.text()
	out := parseText(subject, text, opts)
	out.Forwarder = forwarder
	if out.Forwarded {
		return out, nil
	}
	if w.haveHTML && w.havePlain && strings.TrimSpace(w.plain) != "" {
		// Some clients put a stub or a lossy rendering in text/plain.
		if h := parseText(subject, htmlToText(w.html, w.scan), opts); h.Forwarded {
			h.Forwarder = forwarder
			return h, nil
		}
	}
	if w.attached != nil {
		ih := mail.Header{Header: w.attached.Header}
		if from := firstAddress(ih.Get("From")); from.Domain != "" {
			iw := &walker{max: opts.maxParts(), scan: opts.maxScan()}
			iw.walk(w.attached, 0)
			att := Forward{
				Forwarded: true,
				Method:    MethodAttached,
				Evidence:  w.attachedBy,
				From:      from,
				To:        addressList(ih.Get("To")),
				Cc:        addressList(ih.Get("Cc")),
				Subject:   decodeHeader(ih.Get("Subject")),
				Date:      ih.Get("Date"),
				Body:      strings.TrimSpace(normalize(iw.text(), opts.maxScan())),
				Note:      strings.TrimSpace(normalize(text, opts.maxScan())),
				Forwarder: forwarder,
			}
			att.Time, _ = ih.Date()
			return att, nil
		}
	}
	if out.Subject == "" {
		out.Subject = subject
	}
	return out, nil
}

// walker collects the first plain and HTML text parts and the first
// attached message of a MIME tree, within bounds.
type walker struct {
	max, scan   int
	parts       int
	plain, html string
	havePlain   bool
	haveHTML    bool
	attached    *message.Entity
	attachedBy  string
	err         error
}

const maxDepth = 8

func (w *walker) walk(e *message.Entity, depth int) {
	if w.err != nil || depth > maxDepth {
		return
	}
	if w.parts >= w.max {
		w.err = &LimitError{Limit: "parts", Max: int64(w.max)}
		return
	}
	w.parts++
	if mr := e.MultipartReader(); mr != nil {
		for w.err == nil {
			p, err := mr.NextPart()
			if err != nil {
				if message.IsUnknownCharset(err) || message.IsUnknownEncoding(err) {
					continue
				}
				return
			}
			w.walk(p, depth+1)
		}
		return
	}
	ct, _, _ := e.Header.ContentType()
	disp, dparams, _ := e.Header.ContentDisposition()
	switch {
	case ct == "message/rfc822" || ct == "message/global":
		w.attach(e, ct+" part")
	case isEMLName(dparams["filename"]) || isEMLName(contentTypeName(e)):
		w.attach(e, "attached .eml file")
	case disp == "attachment":
	case ct == "text/plain" || ct == "":
		if !w.havePlain {
			w.plain, w.havePlain = readText(e.Body, w.scan), true
		}
	case ct == "text/html":
		if !w.haveHTML {
			w.html, w.haveHTML = readText(e.Body, w.scan*4), true
		}
	}
}

// attach reads an attached message now (the outer reader moves on) and
// keeps the first one.
func (w *walker) attach(e *message.Entity, by string) {
	if w.attached != nil {
		return
	}
	limit := int64(w.scan) * 16
	inner, err := message.ReadWithOptions(io.LimitReader(e.Body, limit), &message.ReadOptions{MaxHeaderBytes: limit})
	if inner == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
		return
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(inner.Body, limit)); err != nil && buf.Len() == 0 {
		return
	}
	if ne, err := message.New(inner.Header, &buf); ne != nil && (err == nil || message.IsUnknownCharset(err)) {
		w.attached, w.attachedBy = ne, by
	}
}

func contentTypeName(e *message.Entity) string {
	_, p, _ := e.Header.ContentType()
	return p["name"]
}

func isEMLName(name string) bool {
	return strings.EqualFold(path.Ext(name), ".eml")
}

func (w *walker) text() string {
	if w.havePlain && strings.TrimSpace(w.plain) != "" {
		return w.plain
	}
	if w.haveHTML {
		return htmlToText(w.html, w.scan)
	}
	return w.plain
}

func readText(r io.Reader, max int) string {
	b, _ := io.ReadAll(io.LimitReader(r, int64(max)))
	return string(b)
}

var wordDecoder = &mime.WordDecoder{CharsetReader: message.CharsetReader}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
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
