package relay

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"

	"github.com/deskmail/deskmail"
)

// headerFromAddr returns the From address: env.HeaderFrom, else the
// message's From header, else env.From.
func headerFromAddr(env *deskmail.Envelope, msg []byte) string {
	if env.HeaderFrom != "" {
		return env.HeaderFrom
	}
	if v := headerValue(msg, "From"); v != "" {
		if a, err := deskmail.ParseAddress(v); err == nil {
			return a.Addr()
		}
	}
	return env.From
}

// fromDomain returns the lower-case ASCII domain of the From address.
func fromDomain(env *deskmail.Envelope, msg []byte) string {
	addr := env.HeaderFrom
	if addr == "" {
		addr = headerFromAddr(env, msg)
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	d := strings.TrimSuffix(addr[at+1:], ">")
	for i := 0; i < len(d); i++ {
		if c := d[i]; c >= 0x80 || (c >= 'A' && c <= 'Z') {
			nd, err := deskmail.NormalizeDomain(d)
			if err != nil {
				return ""
			}
			return nd
		}
	}
	return d
}

// headerValue returns the first value of a header field of msg, unfolded.
func headerValue(msg []byte, name string) string {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(msg, []byte("\n\n"))
	}
	if end < 0 {
		end = len(msg)
	}
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(msg[:end:end], "\r\n\r\n"...))))
	h, _ := tr.ReadMIMEHeader()
	return h.Get(name)
}
