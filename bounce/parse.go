package bounce

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// ErrNotMail is returned by Parse when the input has no readable message
// header.
var ErrNotMail = errors.New("bounce: input is not a mail message")

// DefaultMaxBytes is how much of a mail Parse reads when
// ParseOptions.MaxBytes is zero. Delivery reports put the failure before the
// returned message, so the tail of a large bounce is never needed.
const DefaultMaxBytes = 256 << 10

// ParseOptions tunes Parse. The zero value and nil use the defaults.
type ParseOptions struct {
	// MaxBytes caps how many bytes of the mail are read and scanned. Zero
	// means DefaultMaxBytes. The rest of the input is not read.
	MaxBytes int
	// Policy maps reasons to severities. Nil means DefaultPolicy.
	Policy Policy
}

// Kind is what a parsed mail is.
type Kind string

// The kinds of mail Parse tells apart.
const (
	KindNone      Kind = ""          // not a report: an ordinary mail
	KindFailure   Kind = "failure"   // a non-delivery report (at least one failed recipient)
	KindDelay     Kind = "delay"     // a delay notice: delivery is still being tried
	KindDelivery  Kind = "delivery"  // a delivery success notice (RFC 3464 Action: delivered)
	KindComplaint Kind = "complaint" // an abuse or feedback report (ARF, RFC 5965)
	KindVacation  Kind = "vacation"  // an auto-reply such as a vacation notice (RFC 3834)
)

// Report is what Parse found in one mail.
type Report struct {
	// Kind says what the mail is. KindNone means it is not a report; the
	// other fields are then mostly empty.
	Kind Kind
	// FeedbackType is the ARF Feedback-Type ("abuse", "fraud", …) of a
	// complaint.
	FeedbackType string
	// ReportingMTA is the host that wrote the report, when it says.
	ReportingMTA string
	// From, To and Subject are the report's own header fields (To is where
	// the report was sent: a VERP return path when we set one).
	From, To, Subject string
	// Envelope lists the addresses the report was delivered to, from
	// Delivered-To, X-Original-To and To, for finding a VERP token.
	Envelope []string
	// Recipients holds one entry per recipient the report is about.
	Recipients []Recipient
	// Original is what the report carries of the message it is about.
	Original Original
	// Truncated is set when the mail was longer than MaxBytes.
	Truncated bool
}

// Recipient is the outcome for one recipient of the original message.
type Recipient struct {
	// Address is the recipient (Final-Recipient, or what the MTA named).
	Address string
	// Action is the RFC 3464 action: failed, delayed, delivered, relayed or
	// expanded; for non-standard reports it is inferred.
	Action string
	// Status is the RFC 3463 enhanced status code, or sisimai's pseudo code
	// ("5.0.911") when the report carries none.
	Status string
	// ReplyCode is the SMTP reply code, when the report gives one.
	ReplyCode int
	// Diagnostic is the remote server's text or the MTA's explanation.
	Diagnostic string
	// RemoteMTA is the server that refused the message, when known.
	RemoteMTA string
	// Command is the SMTP command the failure followed (RCPT, DATA, …),
	// when known.
	Command string
	// Reason is the cause in the sisimai taxonomy.
	Reason Reason
	// Severity is the policy's severity for Reason.
	Severity Severity

	unix       bool   // the diagnostic came from a local program (X-Unix)
	statusNote string // the comment of the Status field
}

// Original is what a report carries of the message it is about.
type Original struct {
	// MessageID is the Message-ID without angle brackets.
	MessageID string
	// From, To, Subject and Date are the original header fields, decoded
	// where they used RFC 2047 words.
	From, To, Subject, Date string
	// Raw is the original header as the report carried it (LF line
	// endings), possibly cut short; Header parses it.
	Raw []byte
}

// Header parses Raw with go-message's textproto: every original header
// field the report carried.
func (o *Original) Header() (textproto.Header, error) {
	if len(o.Raw) == 0 {
		return textproto.Header{}, nil
	}
	h, _, err := readHeader(o.Raw)
	if err != nil {
		return textproto.Header{}, fmt.Errorf("bounce: original header: %w", err)
	}
	return h, nil
}

// Failed returns the recipients whose delivery failed (Reason.Failure).
func (r *Report) Failed() []Recipient {
	var out []Recipient
	for _, rc := range r.Recipients {
		if rc.Reason.Failure() {
			out = append(out, rc)
		}
	}
	return out
}

// IsBounce reports whether the mail says that delivery failed or was
// delayed for at least one recipient.
func (r *Report) IsBounce() bool {
	return r.Kind == KindFailure || r.Kind == KindDelay
}

// Parse reads one mail from r and reports whether it is a delivery report,
// complaint or auto-reply, and what it says about each recipient. A mail
// that is none of these gives a Report of KindNone and a nil error. Parse
// reads at most DefaultMaxBytes.
func Parse(r io.Reader) (*Report, error) {
	return ParseWithOptions(r, nil)
}

// ParseBytes is Parse for a mail in memory.
func ParseBytes(b []byte) (*Report, error) {
	return parseBytes(b, nil)
}

// ParseWithOptions is Parse with options; nil opts means the defaults.
func ParseWithOptions(r io.Reader, opts *ParseOptions) (*Report, error) {
	max := DefaultMaxBytes
	if opts != nil && opts.MaxBytes > 0 {
		max = opts.MaxBytes
	}
	buf := make([]byte, 0, min(max+1, 64<<10))
	lr := io.LimitReader(r, int64(max)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bounce: reading mail: %w", err)
		}
	}
	return parseBytes(buf, opts)
}

func parseBytes(b []byte, opts *ParseOptions) (*Report, error) {
	max := DefaultMaxBytes
	var policy Policy = DefaultPolicy
	if opts != nil {
		if opts.MaxBytes > 0 {
			max = opts.MaxBytes
		}
		if opts.Policy != nil {
			policy = opts.Policy
		}
	}
	p := &parser{policy: policy}
	if len(b) > max {
		b = b[:max]
		p.rep.Truncated = true
	}
	b = normalizeNewlines(b)
	// An mbox "From " line may precede the header.
	if bytes.HasPrefix(b, []byte("From ")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	h, body, err := readHeader(b)
	if err != nil {
		return nil, ErrNotMail
	}
	p.parse(h, body)
	return &p.rep, nil
}

// normalizeNewlines turns CRLF and lone CR into LF. It returns b itself when
// there is no CR.
func normalizeNewlines(b []byte) []byte {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return b
	}
	out := make([]byte, i, len(b))
	copy(out, b[:i])
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		out = append(out, c)
	}
	return out
}

// readHeader parses the header at the start of b with go-message's textproto
// and returns it and the body after it.
func readHeader(b []byte) (textproto.Header, []byte, error) {
	end := len(b)
	rest := b[len(b):]
	if bytes.HasPrefix(b, []byte("\n")) {
		return textproto.Header{}, b[1:], nil
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		end = i + 2
		rest = b[end:]
	}
	hb := b[:end]
	if end == len(b) && !bytes.HasSuffix(hb, []byte("\n\n")) {
		// A header without a body: give the reader its blank line.
		hb = append(append([]byte(nil), hb...), '\n', '\n')
		if !bytes.HasSuffix(b, []byte("\n")) {
			hb = append(hb, '\n')
		}
	}
	h, err := textproto.ReadHeader(bufio.NewReaderSize(bytes.NewReader(hb), min(len(hb)+16, 4096)))
	if err != nil {
		return textproto.Header{}, nil, err
	}
	return h, rest, nil
}

// part is one leaf of the MIME tree, decoded.
type part struct {
	ctype string // lower-case media type
	body  []byte
}

type parser struct {
	policy Policy
	rep    Report

	texts    [][]byte // human-readable text parts before the original
	dsn      [][]byte // message/delivery-status bodies
	feedback []byte   // message/feedback-report body
	original []byte   // the returned message or its header
	topType  string
	parts    int
	nested   int     // depth of reports read from attachments
	report   *string // reportText, once computed
	origDone bool    // parseOriginal ran
	lower    *string // lowerReport, once computed
	// fromOriginalTo is set when the recipients were taken from the
	// returned message's To for want of anything better.
	fromOriginalTo bool
}

const maxParts = 64

// maxRecipients bounds the recipients one report yields, so that a crafted
// report cannot make the work quadratic.
const maxRecipients = 500
const maxDepth = 8

func (p *parser) parse(h textproto.Header, body []byte) {
	rep := &p.rep
	rep.From = decodeWords(h.Get("From"))
	rep.To = h.Get("To")
	rep.Subject = decodeWords(h.Get("Subject"))
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "To"} {
		for _, v := range h.Values(k) {
			for _, a := range splitAddrs(v) {
				rep.Envelope = appendUnique(rep.Envelope, a)
			}
		}
	}
	p.walk(mimeOf(h), body, 0)

	switch {
	case p.feedback != nil:
		p.parseFeedback()
	case len(p.dsn) > 0:
		p.parseDSN()
		if len(rep.Recipients) == 0 {
			p.scanText(h)
		}
	case p.parseSES():
	default:
		switch {
		case p.looksLikeBounce(h):
			p.scanText(h)
		case p.isVacation(h):
			p.vacation(h)
		}
	}
	nestedSrc := p.original
	if nestedSrc == nil {
		if t := p.allText(); len(rep.Recipients) == 0 {
			if i := originalStart(t); i >= 0 {
				nestedSrc = []byte(t[i:])
			}
		}
	}
	if (len(rep.Recipients) == 0 || p.fromOriginalTo) && nestedSrc != nil && p.nested < 1 && rep.Kind == KindNone && p.looksLikeBounce(h) {
		// A report forwarded as an attachment or inline: read that one.
		if inner, body, err := readHeader(nestedSrc); err == nil {
			q := &parser{policy: p.policy, nested: p.nested + 1}
			q.rep.From = decodeWords(inner.Get("From"))
			q.rep.To = inner.Get("To")
			q.rep.Subject = decodeWords(inner.Get("Subject"))
			q.walk(mimeOf(inner), body, 0)
			if len(q.dsn) > 0 {
				q.parseDSN()
			}
			if len(q.rep.Recipients) == 0 && q.looksLikeBounce(inner) {
				q.scanText(inner)
			}
			if len(q.rep.Recipients) > 0 {
				rep.Recipients = q.rep.Recipients
				p.dsn, p.texts, p.report, p.lower = q.dsn, q.texts, nil, nil
				p.original = q.original
				p.origDone, rep.Original = false, Original{}
			}
		}
	}
	p.parseOriginal()
	p.finish(h)
}

// mimeHeader is what walk needs of a MIME part's header.
type mimeHeader struct{ contentType, encoding string }

func mimeOf(h textproto.Header) mimeHeader {
	return mimeHeader{h.Get("Content-Type"), h.Get("Content-Transfer-Encoding")}
}

// readPartHeader reads a MIME part's header with scanHeader: parts need two
// fields, and broken part headers are common in bounces.
func readPartHeader(b []byte) (mimeHeader, []byte) {
	var h mimeHeader
	if len(b) > 0 && b[0] == '\n' {
		return h, b[1:]
	}
	end, body := len(b), b[len(b):]
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		end, body = i+1, b[i+2:]
	}
	scanHeader(b[:end], func(name, value string) {
		switch {
		case strings.EqualFold(name, "Content-Type"):
			h.contentType = value
		case strings.EqualFold(name, "Content-Transfer-Encoding"):
			h.encoding = value
		}
	})
	return h, body
}

func (p *parser) walk(h mimeHeader, body []byte, depth int) {
	p.parts++
	if p.parts > maxParts || depth > maxDepth {
		return
	}
	ct, params := mediaType(h.contentType)
	if depth == 0 {
		p.topType = ct
	}
	if strings.HasPrefix(ct, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			p.texts = append(p.texts, body)
			return
		}
		parts := splitMultipart(body, boundary)
		if len(parts) == 0 {
			// No delimiter at all: read the body as text.
			p.texts = append(p.texts, body)
			return
		}
		for _, pb := range parts {
			ph, pbody := readPartHeader(pb)
			p.walk(ph, pbody, depth+1)
		}
		return
	}
	switch ct {
	case "message/delivery-status", "message/global-delivery-status":
		p.dsn = append(p.dsn, decodeBody(h.encoding, body))
	case "message/feedback-report":
		p.feedback = decodeBody(h.encoding, body)
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers",
		"message/global-headers", "message/partial":
		if p.original == nil {
			p.original = decodeBody(h.encoding, body)
		}
	default:
		if ct == "" || strings.HasPrefix(ct, "text/") {
			if p.original != nil && depth > 0 && len(p.texts) > 0 {
				return
			}
			b := decodeBody(h.encoding, body)
			if ct == "text/html" {
				b = stripTags(b)
			}
			if cs := strings.ToLower(params["charset"]); cs != "" {
				b = decodeCharset(cs, b)
			}
			p.texts = append(p.texts, b)
		}
	}
}

// mediaType parses a Content-Type value leniently.
func mediaType(v string) (string, map[string]string) {
	if v == "" {
		return "", nil
	}
	ct, params, err := mime.ParseMediaType(v)
	if err == nil {
		return ct, params
	}
	// Fall back to a plain scan for broken values.
	ct = v
	if i := strings.IndexByte(v, ';'); i >= 0 {
		ct = v[:i]
	}
	ct = strings.ToLower(strings.TrimSpace(ct))
	params = map[string]string{}
	for _, k := range []string{"boundary", "charset", "report-type"} {
		if i := indexFoldASCII(v, k+"="); i >= 0 {
			s := v[i+len(k)+1:]
			if strings.HasPrefix(s, `"`) {
				s = s[1:]
				if j := strings.IndexByte(s, '"'); j >= 0 {
					s = s[:j]
				}
			} else if j := strings.IndexAny(s, "; \t"); j >= 0 {
				s = s[:j]
			}
			params[k] = s
		}
	}
	return ct, params
}

// splitMultipart returns the bodies of the parts between boundary lines. It
// is lenient: a missing close delimiter ends the last part at the end.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for off := 0; off < len(body); {
		i := bytes.Index(body[off:], delim)
		if i < 0 {
			break
		}
		i += off
		ls := i // start of the delimiter's line, allowing stray indentation
		for ls > 0 && (body[ls-1] == ' ' || body[ls-1] == '\t') {
			ls--
		}
		if ls > 0 && body[ls-1] != '\n' {
			off = i + len(delim)
			continue
		}
		if start >= 0 {
			end := ls
			if end > start && body[end-1] == '\n' {
				end--
			}
			parts = append(parts, body[start:end])
			if len(parts) >= maxParts {
				return parts
			}
		}
		after := i + len(delim)
		if bytes.HasPrefix(body[after:], []byte("--")) {
			return parts
		}
		nl := bytes.IndexByte(body[after:], '\n')
		if nl < 0 {
			return parts
		}
		start = after + nl + 1
		off = start
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// decodeBody undoes the part's Content-Transfer-Encoding.
func decodeBody(encoding string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		clean := make([]byte, 0, len(body))
		for _, c := range body {
			if c != '\n' && c != ' ' && c != '\t' && c != '\r' {
				clean = append(clean, c)
			}
		}
		out := make([]byte, len(clean)) // decoded data is never longer
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil && n == 0 {
			n, _ = base64.RawStdEncoding.Decode(out, bytes.TrimRight(clean, "="))
		}
		return normalizeNewlines(out[:n])
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return normalizeNewlines(out)
	}
	return body
}

// stripTags removes HTML tags and turns block ends into newlines.
func stripTags(b []byte) []byte {
	out := make([]byte, 0, len(b))
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '<':
			in = true
			if i+3 < len(b) && (b[i+1] == 'b' || b[i+1] == 'B' || b[i+1] == 'p' || b[i+1] == 'P' || b[i+1] == '/') {
				out = append(out, '\n')
			}
		case c == '>' && in:
			in = false
		case !in:
			out = append(out, c)
		}
	}
	out = bytes.ReplaceAll(out, []byte("&lt;"), []byte("<"))
	out = bytes.ReplaceAll(out, []byte("&gt;"), []byte(">"))
	out = bytes.ReplaceAll(out, []byte("&nbsp;"), []byte(" "))
	return bytes.ReplaceAll(out, []byte("&amp;"), []byte("&"))
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// decodeWords decodes RFC 2047 encoded words, leaving the text as it is when
// it cannot.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// indexFoldASCII is strings.Index ignoring ASCII case, with indexes into s
// itself (strings.ToLower may change the length of non-ASCII text).
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		ok := true
		for j := 0; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}
