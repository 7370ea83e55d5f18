package deskmail

import (
	"net/mail"
	"net/textproto"
)

// Header is what deskmail reads from a parsed mail header: the first value
// of a field, and every value of it in the order the fields appear, top
// first. Names are case-insensitive; values are returned unfolded, with RFC
// 2047 words still encoded.
//
// It is satisfied by the headers of github.com/emersion/go-message
// (*textproto.Header, *message.Header, *mail.Header), by net/textproto's
// MIMEHeader and by net/http.Header. MailHeader adapts a net/mail.Header.
type Header interface {
	Get(key string) string
	Values(key string) []string
}

// MailHeader adapts a net/mail.Header to Header.
type MailHeader mail.Header

// Get returns the first value of key, as net/mail.Header.Get does.
func (h MailHeader) Get(key string) string { return mail.Header(h).Get(key) }

// Values returns every value of key, canonicalising the key as net/mail
// does.
func (h MailHeader) Values(key string) []string {
	return h[textproto.CanonicalMIMEHeaderKey(key)]
}
