package compose

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/internal/htmltext"
)

// part is a node of the MIME tree.
type part struct {
	ctype  string
	params map[string]string
	disp   string // Content-Disposition type, "" for none
	dparam map[string]string
	cid    string
	cte    string
	data   []byte
	kids   []*part
}

// writeMessage writes the header fields and the MIME body of d: a text
// part; multipart/alternative with HTML; multipart/related around it with
// inline images; multipart/mixed around that with files.
func writeMessage(w io.Writer, fs []field, d *Draft, boundary string) error {
	text := d.Text
	if text == "" && d.HTML != "" {
		text = htmltext.FromHTML(d.HTML)
	}
	body := textPart("text/plain", text)
	var inline, files []Attachment
	for _, a := range d.Attachments {
		if a.ContentID != "" && d.HTML != "" {
			inline = append(inline, a)
		} else {
			files = append(files, a)
		}
	}
	if d.HTML != "" {
		body = &part{ctype: "multipart/alternative", kids: []*part{body, textPart("text/html", d.HTML)}}
		if len(inline) > 0 {
			rel := &part{ctype: "multipart/related", params: map[string]string{"type": "multipart/alternative"}, kids: []*part{body}}
			for _, a := range inline {
				rel.kids = append(rel.kids, filePart(a, "inline"))
			}
			body = rel
		}
	}
	if len(files) > 0 {
		mixed := &part{ctype: "multipart/mixed", kids: []*part{body}}
		for _, a := range files {
			mixed.kids = append(mixed.kids, filePart(a, "attachment"))
		}
		body = mixed
	}
	n := 0
	var number func(p *part)
	number = func(p *part) {
		if len(p.kids) > 0 {
			if p.params == nil {
				p.params = map[string]string{}
			}
			p.params["boundary"] = boundary + "." + strconv.Itoa(n)
			n++
			for _, k := range p.kids {
				number(k)
			}
		}
	}
	number(body)

	// go-message writes the last added field first: the MIME fields go in
	// first so they come out last.
	var h mail.Header
	body.setHeader(&h.Header.Header)
	h.Add("MIME-Version", "1.0")
	for i := len(fs) - 1; i >= 0; i-- {
		h.Add(fs[i].k, fs[i].v)
	}
	if err := textproto.WriteHeader(w, h.Header.Header); err != nil {
		return err
	}
	return body.write(w)
}

// setHeader sets the part's MIME fields on h, in the order Content-Type,
// Content-Transfer-Encoding, Content-Disposition, Content-ID (go-message
// writes the last added first).
func (p *part) setHeader(h *textproto.Header) {
	if p.cid != "" {
		h.Add("Content-ID", "<"+p.cid+">")
	}
	// mime.FormatMediaType writes non-ASCII parameters (file names) in
	// RFC 2231 form, which every current client reads.
	if p.disp != "" {
		h.Add("Content-Disposition", mime.FormatMediaType(p.disp, p.dparam))
	}
	if p.cte != "" {
		h.Add("Content-Transfer-Encoding", p.cte)
	}
	h.Add("Content-Type", mime.FormatMediaType(p.ctype, p.params))
}

// write writes the part's body: a leaf encoded by its transfer encoding,
// a multipart's children between its boundaries (go-message's
// MultipartWriter).
func (p *part) write(w io.Writer) error {
	if len(p.kids) == 0 {
		return p.encode(w)
	}
	mw := textproto.NewMultipartWriter(w)
	if err := mw.SetBoundary(p.params["boundary"]); err != nil {
		return err
	}
	for _, k := range p.kids {
		var h textproto.Header
		k.setHeader(&h)
		pw, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if err := k.write(pw); err != nil {
			return err
		}
	}
	return mw.Close()
}

// encode writes a leaf's data in its transfer encoding: 7bit as is (the
// data is CRLF text within 78 characters a line), quoted-printable with
// soft breaks at 76, base64 in lines of 76.
func (p *part) encode(w io.Writer) error {
	switch p.cte {
	case "quoted-printable":
		qw := quotedprintable.NewWriter(w)
		if _, err := qw.Write(p.data); err != nil {
			return err
		}
		return qw.Close()
	case "base64":
		const in = 57 // bytes per 76-character line
		n := base64.StdEncoding.EncodedLen(len(p.data))
		out := make([]byte, 0, n+n/76*2+2)
		var line [76]byte
		for i := 0; i < len(p.data); i += in {
			chunk := p.data[i:min(i+in, len(p.data))]
			m := base64.StdEncoding.EncodedLen(len(chunk))
			base64.StdEncoding.Encode(line[:m], chunk)
			out = append(out, line[:m]...)
			out = append(out, '\r', '\n')
		}
		_, err := w.Write(out)
		return err
	}
	_, err := w.Write(p.data)
	return err
}

// textPart is a UTF-8 text part with CRLF line ends, 7bit when it is short
// ASCII lines, else quoted-printable or base64 by which is shorter.
func textPart(ctype, s string) *part {
	s = crlf(s)
	return &part{ctype: ctype, params: map[string]string{"charset": "utf-8"}, cte: textEncoding(s), data: []byte(s)}
}

// crlf normalises line ends to CRLF and ends the text with one.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// textEncoding picks the transfer encoding of CRLF text: 7bit for ASCII
// lines of at most 78 characters (without "=_", which starts our
// boundaries); otherwise quoted-printable unless more than one byte in six
// would be escaped (Japanese, Chinese, Cyrillic text), where base64 is
// shorter.
func textEncoding(s string) string {
	esc, lineLen, long := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r' || c == '\n':
			lineLen = 0
			continue
		case c >= 0x80, c == '=', c < 0x20 && c != '\t', c == 0x7f:
			esc++
		}
		lineLen++
		if lineLen > 78 {
			long = true
		}
	}
	if esc == 0 && !long && !strings.Contains(s, "=_") {
		return "7bit"
	}
	if esc*6 > len(s) {
		return "base64"
	}
	return "quoted-printable"
}

// filePart is an attachment or inline image, base64 encoded.
func filePart(a Attachment, disp string) *part {
	ct := a.ContentType
	if ct == "" {
		ct = guessType(a.Filename, a.Data)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, params = "application/octet-stream", nil
	}
	p := &part{ctype: mt, params: params, disp: disp, cte: "base64", data: a.Data, cid: a.ContentID}
	if name := strings.TrimSpace(a.Filename); name != "" {
		if p.params == nil {
			p.params = map[string]string{}
		}
		p.params["name"] = name
		p.dparam = map[string]string{"filename": name}
	}
	return p
}

// types maps common extensions to MIME types, so the guess does not depend
// on the machine's mime.types.
var types = map[string]string{
	".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml", ".txt": "text/plain",
	".csv": "text/csv", ".html": "text/html", ".htm": "text/html", ".zip": "application/zip",
	".json": "application/json", ".xml": "application/xml", ".ics": "text/calendar",
	".doc": "application/msword", ".xls": "application/vnd.ms-excel",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".eml":  "message/rfc822",
}

func guessType(name string, data []byte) string {
	if t, ok := types[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	t := http.DetectContentType(data)
	if !strings.HasPrefix(t, "text/") {
		t, _, _ = strings.Cut(t, ";")
	}
	if t == "text/plain; charset=utf-8" {
		t = "text/plain"
	}
	return t
}
