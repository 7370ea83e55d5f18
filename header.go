package deskmail

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
