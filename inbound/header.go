package inbound

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail"
)

// readHeader parses the header of raw with go-message's textproto, reading
// at most max bytes of it, and returns the offset of the body.
func readHeader(raw []byte, max int) (textproto.Header, int, error) {
	in := raw
	if len(in) > max {
		in = in[:max]
	}
	rd := bytes.NewReader(in)
	// 1 KiB of buffer: textproto joins longer lines itself.
	br := bufio.NewReaderSize(rd, 1024)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if len(raw) > max {
				return h, 0, fmt.Errorf("longer than %d bytes", max)
			}
			if len(raw) == 0 {
				return h, 0, errors.New("empty message")
			}
			// A message that ends inside its header has no body.
			return h, len(raw), nil
		}
		return h, 0, err
	}
	off := len(in) - rd.Len() - br.Buffered()
	if off >= len(in) && len(raw) > len(in) {
		return h, 0, fmt.Errorf("longer than %d bytes", max)
	}
	if h.Len() == 0 {
		return h, 0, errors.New("no header fields")
	}
	return h, off, nil
}

// parseFrom returns firstAddress of the first From field and, when one
// parse serves both, the lower-case From domain dkim.FromDomain would give
// for DMARC; else the domain is "" and DMARC finds it itself. One parse
// serves both when the field is not folded and holds one address and no
// comma, colon, semicolon (list and group syntax) or CR: ParseAddressList
// then parses the same string ParseAddress would, the same way.
func parseFrom(h *textproto.Header) (deskmail.Address, string) {
	v := h.Get("From")
	if v == "" || strings.ContainsAny(v, ",:;\r") {
		return firstAddress(v), ""
	}
	raw, err := h.Raw("From")
	if err != nil || raw == nil {
		return firstAddress(v), ""
	}
	_, rv, _ := bytes.Cut(raw, []byte{':'})
	rv = bytes.TrimSpace(rv)
	if bytes.IndexByte(rv, '\r') >= 0 || bytes.IndexByte(rv, '\n') >= 0 || string(rv) != v {
		return firstAddress(v), ""
	}
	l, err := deskmail.ParseAddressList(v)
	if err != nil || len(l) != 1 {
		return firstAddress(v), ""
	}
	return l[0], strings.ToLower(l[0].Domain)
}

func firstAddress(v string) deskmail.Address {
	if v == "" {
		return deskmail.Address{}
	}
	if a, err := deskmail.ParseAddress(v); err == nil {
		return a
	}
	if l, _ := deskmail.ParseAddressList(v); len(l) > 0 {
		return l[0]
	}
	return deskmail.Address{}
}

// headerAddresses returns the addresses of the named fields, at most 100.
func headerAddresses(h deskmail.Header, fields ...string) []deskmail.Address {
	var out []deskmail.Address
	for _, f := range fields {
		for _, v := range h.Values(f) {
			l, _ := deskmail.ParseAddressList(v)
			out = append(out, l...)
			if len(out) >= 100 {
				return out[:100]
			}
		}
	}
	return out
}
