// Package mailparse is the library's one way to read the MIME structure of a
// received mail: bounces, forwards, auto-replies and inbound mail all walk
// their parts through it. A message header is read with go-message's
// textproto reader (falling back to a line scan when it refuses a broken
// block); headers are go-message textproto.Header values. Parts are found by
// a line scan for the boundary rather than go-message's multipart reader,
// which gives up on the first malformed part header or indented delimiter
// that broken real-world mail (bounces above all) carries, and which copies
// every part; part headers are read by the line scan. The walk is bounded
// against hostile mail.
//
// # API
//
//	NormalizeNewlines(b)     CRLF and lone CR (old Mac) line ends to LF
//	ReadHeader(b)            header + body of a message; never fails on a
//	                         malformed field line (it keeps the good ones)
//	MediaType(v)             Content-Type value to lower-case type + params,
//	                         with a plain scan when mime.ParseMediaType fails
//	Walk(h, body, lim, fn)   calls fn for each leaf Part of the tree
//	Part.Decoded()           the leaf's bytes with the transfer encoding
//	                         undone, LF line ends, text/* in UTF-8
//	Part.Text()              Decoded as text, text/html turned into plain
//	                         text by HTMLText
//	DecodeTransfer(enc, b)   base64 / quoted-printable decoding, lenient
//	DecodeCharset(cs, b)     a charset to UTF-8 (x/text), bytes kept when
//	                         the charset is unknown
//	CharsetReader            the same charsets for mime.WordDecoder
//	HTMLText(s)              HTML to plain text on x/net/html's tokenizer
//	                         (internal/htmltext: entities decoded, blocks
//	                         end lines, script and style dropped)
//
// # Walking
//
// Walk descends multipart/* entities with go-message's multipart reader and
// hands every other entity to fn as a leaf: message/rfc822,
// message/delivery-status, text/rfc822-headers and the like are leaves whose
// Raw body is the embedded message or block (call ReadHeader and Walk again
// to go inside). A leaf's Raw is the part's body as the mail has it; decoding
// happens only when the caller asks (Decoded, Text), so attachments cost
// nothing. Leniency:
//
//   - a header without Content-Type, or a multipart without a boundary
//     parameter, over a body that is plainly multipart (a "--boundary" line
//     directly followed by a Content-Type field, and repeated) is read as
//     that multipart;
//   - a multipart whose boundary never appears in the body is one
//     text/plain leaf (its whole body);
//   - a missing close delimiter ends the last part at the end of the input;
//     a part whose header the multipart reader refuses ends the walk of that
//     multipart, keeping the parts read before it;
//   - unknown transfer encodings leave the bytes as they are; bad base64 keeps
//     what decoded before the damage (and unpadded base64 decodes);
//   - unknown or mislabelled charsets leave the bytes as they are;
//   - headers keep every well-formed field of a broken block.
//
// Line ends: go-message's reader accepts CRLF and LF; callers pass mail
// through NormalizeNewlines first so that CR-only mail reads the same.
//
// Bounds (Limits): nesting depth (DefaultMaxDepth), entities visited
// (DefaultMaxParts) and raw bytes copied out of multiparts (DefaultMaxBytes).
// Past a bound Walk stops and reports truncation; the work is linear in the
// input.
package mailparse

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	"github.com/deskmail/deskmail/internal/htmltext"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/htmlindex"
)

// The default bounds of a walk.
const (
	DefaultMaxDepth = 8
	DefaultMaxParts = 64
)

// Limits bounds a walk. Zero fields take the defaults.
type Limits struct {
	MaxDepth int // multipart nesting below the top entity
	MaxParts int // entities visited, containers included
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	return l
}

// Part is one leaf of a MIME tree.
type Part struct {
	// Header is the part's own header (the message header for a
	// single-part mail).
	Header textproto.Header
	// Type is the lower-case media type; "text/plain" when the part has no
	// Content-Type or an unreadable one.
	Type string
	// Params are the Content-Type parameters (lower-case names).
	Params map[string]string
	// Depth is the multipart nesting: 0 for the top entity.
	Depth int
	// Parent is the media type of the multipart the part is in
	// ("multipart/alternative", ...), "" for the top entity.
	Parent string
	// Index is the leaf's position in walk order, from 0.
	Index int
	// Raw is the body as the mail carries it (transfer-encoded).
	Raw []byte
}

// Decoded returns the body with its Content-Transfer-Encoding undone and LF
// line ends; a text/* part is converted from its charset to UTF-8.
func (p *Part) Decoded() []byte {
	b := DecodeTransfer(p.Header.Get("Content-Transfer-Encoding"), p.Raw)
	if strings.HasPrefix(p.Type, "text/") {
		b = DecodeCharset(p.Params["charset"], b)
	}
	return b
}

// Text returns Decoded as text, with text/html converted to plain text.
func (p *Part) Text() string {
	b := p.Decoded()
	if p.Type == "text/html" {
		return HTMLText(string(b))
	}
	return string(b)
}

// HTMLText returns the plain text of an HTML document: entities decoded,
// block elements ending lines, script and style dropped.
func HTMLText(s string) string { return htmltext.FromHTML(s) }

// Walk calls fn for each leaf of the MIME tree whose top entity has header h
// and raw body. fn returns false to stop the walk. Walk reports whether it
// stopped at a bound of lim.
func Walk(h textproto.Header, body []byte, lim Limits, fn func(*Part) bool) (truncated bool) {
	w := &walker{lim: lim.withDefaults(), fn: fn}
	w.walk(h, body, 0, "")
	return w.truncated
}

type walker struct {
	lim       Limits
	fn        func(*Part) bool
	parts     int
	leaves    int
	stop      bool
	truncated bool
}

func (w *walker) walk(h textproto.Header, body []byte, depth int, parent string) {
	if w.stop {
		return
	}
	w.parts++
	if w.parts > w.lim.MaxParts || depth > w.lim.MaxDepth {
		w.truncated, w.stop = true, true
		return
	}
	ct, params := MediaType(h.Get("Content-Type"))
	if ct == "" || strings.HasPrefix(ct, "multipart/") && params["boundary"] == "" {
		// A header that lost its Content-Type (or its boundary) over a
		// body that is plainly MIME: read the body as the multipart it is.
		if b := sniffBoundary(body); b != "" {
			if ct == "" {
				ct = "multipart/mixed"
			}
			params = map[string]string{"boundary": b}
		}
	}
	if strings.HasPrefix(ct, "multipart/") {
		var parts [][]byte
		if b := params["boundary"]; b != "" {
			parts = splitMultipart(body, b, w.lim.MaxParts)
		}
		if len(parts) == 0 {
			w.leaf(h, "text/plain", params, body, depth, parent)
			return
		}
		for _, pb := range parts {
			if w.stop {
				return
			}
			ph, b := partHeader(pb)
			w.walk(ph, b, depth+1, ct)
		}
		return
	}
	if ct == "" {
		ct = "text/plain"
	}
	w.leaf(h, ct, params, body, depth, parent)
}

func (w *walker) leaf(h textproto.Header, ct string, params map[string]string, body []byte, depth int, parent string) {
	p := &Part{Header: h, Type: ct, Params: params, Depth: depth, Parent: parent, Index: w.leaves, Raw: body}
	w.leaves++
	if !w.fn(p) {
		w.stop = true
	}
}

// sniffBoundary returns the boundary of a body that is MIME multipart
// although its header does not say so: within the first 8 KiB, a line "--x"
// (no spaces, 1 to 70 characters of boundary) directly followed by a
// Content-Type field, with the same delimiter line appearing again later,
// and no Content-Type field before it (which would make it the delimiter of
// an embedded entity).
// It returns "" otherwise.
func sniffBoundary(body []byte) string {
	head := body
	if len(head) > 8192 {
		head = head[:8192]
	}
	for len(head) > 0 {
		line := head
		nl := bytes.IndexByte(head, '\n')
		if nl >= 0 {
			line, head = head[:nl], head[nl+1:]
		} else {
			head = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) >= 13 && bytes.EqualFold(line[:13], []byte("content-type:")) {
			// An embedded entity's header: a delimiter after it is that
			// entity's, not the body's.
			return ""
		}
		if len(line) < 3 || len(line) > 72 || line[0] != '-' || line[1] != '-' || bytes.ContainsAny(line, " \t") {
			continue
		}
		next := head
		if j := bytes.IndexByte(next, '\n'); j >= 0 {
			next = next[:j]
		}
		if len(next) < 13 || !bytes.EqualFold(next[:13], []byte("content-type:")) {
			continue
		}
		b := string(line[2:])
		if bytes.Count(body, line) >= 2 {
			return b
		}
	}
	return ""
}

// splitMultipart returns the bodies of the parts between the delimiter
// lines of boundary, as slices of body. It is lenient where go-message's
// multipart reader is strict: a delimiter may be indented, text between a
// part and the next delimiter stays in the part, and a missing close
// delimiter ends the last part at the end of body. At most max parts are
// returned.
func splitMultipart(body []byte, boundary string, max int) [][]byte {
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
			if len(parts) >= max {
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

// NormalizeNewlines turns CRLF and lone CR into LF. It returns b itself when
// there is no CR.
func NormalizeNewlines(b []byte) []byte {
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

// ReadHeader parses the header at the start of b (LF line ends) with
// go-message's textproto and returns it and the body after the blank line.
// A header block with malformed lines keeps its well-formed fields, with
// lines that are not fields read as continuations. The error is non-nil
// only when b has no header field at all; the body is then b itself.
func ReadHeader(b []byte) (textproto.Header, []byte, error) {
	if bytes.HasPrefix(b, []byte("\n")) {
		return textproto.Header{}, b[1:], nil
	}
	end, rest := len(b), b[len(b):]
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		end, rest = i+2, b[i+2:]
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
	if err == nil {
		return h, rest, nil
	}
	h = lenientHeader(hb)
	if h.Len() == 0 {
		return h, b, err
	}
	return h, rest, nil
}

// partHeader splits a MIME part into its header and body. Part headers are
// a few fields and often broken in bounces, so they are read by the same
// line scan as a broken message header, without a buffered reader per part.
func partHeader(b []byte) (textproto.Header, []byte) {
	if len(b) > 0 && b[0] == '\n' {
		return textproto.Header{}, b[1:]
	}
	end, body := len(b), b[len(b):]
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		end, body = i+1, b[i+2:]
	}
	h := lenientHeader(b[:end])
	if h.Len() == 0 {
		// No field at all: the part is body only.
		return h, b
	}
	return h, body
}

// lenientHeader reads the fields of a broken header block (ScanFields).
func lenientHeader(b []byte) textproto.Header {
	var h textproto.Header
	var fields [][2]string
	ScanFields(b, func(name, value string) { fields = append(fields, [2]string{name, value}) })
	// textproto.Header.Add puts fields first; add in reverse to keep order.
	for i := len(fields) - 1; i >= 0; i-- {
		h.Add(fields[i][0], fields[i][1])
	}
	return h
}

// ScanFields calls fn for each field of a header block, in order, with
// continuation lines unfolded, up to the first empty line. It is lenient
// the way broken mailers need: a line without a colon (or whose name would
// hold white space) continues the previous field, since such mailers fold
// parameters like boundary= to the start of a line; LF and CRLF line ends
// both work.
func ScanFields(b []byte, fn func(name, value string)) {
	var name string
	var value []byte
	flush := func() {
		if name != "" {
			fn(name, strings.TrimSpace(string(value)))
		}
		name, value = "", value[:0]
	}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		i := bytes.IndexByte(line, ':')
		if line[0] == ' ' || line[0] == '\t' || i <= 0 || bytes.ContainsAny(line[:i], " \t") {
			if name != "" {
				value = append(value, ' ')
				value = append(value, bytes.TrimSpace(line)...)
			}
			continue
		}
		flush()
		name = string(line[:i])
		value = append(value, line[i+1:]...)
	}
	flush()
}

// MediaType parses a Content-Type value leniently: the lower-case media type
// and its parameters, with a plain scan for boundary, charset and
// report-type when mime.ParseMediaType refuses the value.
func MediaType(v string) (string, map[string]string) {
	if v == "" {
		return "", nil
	}
	ct, params, err := mime.ParseMediaType(v)
	if err == nil {
		return ct, params
	}
	ct = v
	if i := strings.IndexByte(v, ';'); i >= 0 {
		ct = v[:i]
	}
	ct = strings.ToLower(strings.TrimSpace(ct))
	params = map[string]string{}
	for _, k := range []string{"boundary", "charset", "report-type"} {
		if i := indexFold(v, k+"="); i >= 0 {
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

// DecodeTransfer undoes a Content-Transfer-Encoding leniently and returns
// LF line ends. Unknown encodings (and 7bit, 8bit, binary) return b.
func DecodeTransfer(encoding string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		clean := make([]byte, 0, len(b))
		for _, c := range b {
			if c != '\n' && c != ' ' && c != '\t' && c != '\r' {
				clean = append(clean, c)
			}
		}
		out := make([]byte, len(clean)) // decoded data is never longer
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			// Unpadded or damaged: keep the longer of the two readings.
			raw := make([]byte, len(clean))
			if m, _ := base64.RawStdEncoding.Decode(raw, bytes.TrimRight(clean, "=")); m > n {
				out, n = raw, m
			}
		}
		return NormalizeNewlines(out[:n])
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		return NormalizeNewlines(out)
	}
	return b
}

// DecodeCharset converts text in charset cs to UTF-8. ASCII text, UTF-8 and
// unknown charsets come back as they are, as does text the decoder refuses.
func DecodeCharset(cs string, b []byte) []byte {
	cs = strings.ToLower(strings.TrimSpace(cs))
	switch cs {
	case "us-ascii", "utf-8", "utf8", "ascii", "":
		return b
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 || c == 0x1b {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	e, err := htmlindex.Get(cs)
	if err != nil {
		return b
	}
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return b
	}
	return out
}

// CharsetReader is a mime.WordDecoder CharsetReader on the same charsets as
// DecodeCharset.
func CharsetReader(charset string, r io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return e.NewDecoder().Reader(r), nil
}

// indexFold is strings.Index ignoring ASCII case, with indexes into s.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
