package forward

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
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
//  3. A message/rfc822 part (forward as attachment): its header gives
//     From, To, Cc, Subject and Date, its text the Body, and the outer
//     text the Note.
//
// Forwarder is the outer From in every case. Reading stops after
// Options.MaxBytes and Options.MaxParts. The error wraps ErrMalformed when
// the header cannot be parsed.
func Parse(r io.Reader, opts *Options) (Forward, error) {
	e, err := message.Read(io.LimitReader(r, opts.maxBytes()))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return Forward{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return ParseEntity(e, opts), nil
}

// ParseEntity is Parse over a message already read with go-message, for a
// pipeline that parses each mail once. It consumes e's body.
func ParseEntity(e *message.Entity, opts *Options) Forward {
	h := mail.Header{Header: e.Header}
	subject := decodeHeader(h.Get("Subject"))
	forwarder := firstAddress(h.Get("From"))

	if rf := h.Get("Resent-From"); rf != "" {
		if orig := firstAddress(h.Get("From")); orig.Domain != "" {
			w := &walker{max: opts.maxParts(), scan: opts.maxScan()}
			w.walk(e, 0)
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
			return out
		}
	}

	w := &walker{max: opts.maxParts(), scan: opts.maxScan()}
	w.walk(e, 0)
	text := w.text()
	out := ParseText(subject, text, opts)
	out.Forwarder = forwarder
	if out.Forwarded {
		return out
	}
	if w.haveHTML && w.havePlain && strings.TrimSpace(w.plain) != "" {
		// Some clients put a stub or a lossy rendering in text/plain.
		if h := ParseText(subject, htmlToText(w.html, w.scan), opts); h.Forwarded {
			h.Forwarder = forwarder
			return h
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
				Evidence:  "message/rfc822 part",
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
			return att
		}
	}
	if out.Subject == "" {
		out.Subject = subject
	}
	return out
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
}

const maxDepth = 8

func (w *walker) walk(e *message.Entity, depth int) {
	if w.parts >= w.max || depth > maxDepth {
		return
	}
	w.parts++
	if mr := e.MultipartReader(); mr != nil {
		for w.parts < w.max {
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
	disp, _, _ := e.Header.ContentDisposition()
	switch {
	case ct == "message/rfc822" || ct == "message/global":
		if w.attached == nil {
			if inner, err := message.Read(io.LimitReader(e.Body, int64(w.scan)*16)); inner != nil &&
				(err == nil || message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
				// read the inner body now: the outer reader moves on
				var buf bytes.Buffer
				if _, err := io.Copy(&buf, io.LimitReader(inner.Body, int64(w.scan)*16)); err == nil || buf.Len() > 0 {
					if ne, err := message.New(inner.Header, &buf); ne != nil && (err == nil || message.IsUnknownCharset(err)) {
						w.attached = ne
					}
				}
			}
		}
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
