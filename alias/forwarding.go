package alias

import (
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"

	"github.com/deskmail/deskmail"
)

// ForwardingCheckHeader is the header field that carries a forwarding-check
// token. The token is in the subject too, for forwarders that drop unknown
// header fields.
const ForwardingCheckHeader = "X-Deskmail-Forwarding-Check"

// DefaultForwardingCheckTTL is how long a forwarding-check token is valid.
const DefaultForwardingCheckTTL = 24 * time.Hour

// ErrNotForwardingCheck: the mail carries no forwarding-check token.
var ErrNotForwardingCheck = errors.New("alias: not a forwarding check")

// ForwardingCheck is the platform's own check that a customer-owned address
// forwards to its platform address: the platform sends a mail carrying
// a signed token to the customer address; when it comes back through the
// platform address, Recognize finds the token and the host records the
// address as verified (Account.MarkForwardingVerified). Safe for concurrent
// use.
type ForwardingCheck struct {
	// Keyring signs and verifies tokens. Required: without it Mail returns
	// an error wrapping deskmail.ErrNoSecret and Recognize recognises no
	// check mail.
	Keyring *deskmail.Keyring
	// TTL is the token lifetime; zero means DefaultForwardingCheckTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// CheckMail is the mail a ForwardingCheck asks the host to send.
type CheckMail struct {
	// To is the customer-owned address to send to.
	To string `json:"to,omitempty"`
	// Subject is the subject to send; it holds the token.
	Subject string `json:"subject,omitempty"`
	// Header is the name of the header field to add (ForwardingCheckHeader)
	// and Token its value.
	Header string `json:"header,omitempty"`
	Token  string `json:"token,omitempty"`
}

func (f *ForwardingCheck) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Mail returns the check mail for the support address addr of account.
// It is an error for addr not to be customer-owned.
func (f *ForwardingCheck) Mail(account string, s SupportAddress) (CheckMail, error) {
	if !s.CustomerOwned() {
		return CheckMail{}, fmt.Errorf("alias: %s is not a customer-owned address", s.Address)
	}
	ttl := f.TTL
	if ttl <= 0 {
		ttl = DefaultForwardingCheckTTL
	}
	tok, err := signToken(f.Keyring, tokenVersionForward, f.now().Add(ttl), 0, account, s.Address)
	if err != nil {
		return CheckMail{}, err
	}
	return CheckMail{
		To:      s.Address,
		Subject: "Forwarding check " + tok,
		Header:  ForwardingCheckHeader,
		Token:   tok,
	}, nil
}

var tokenInSubject = regexp.MustCompile(`(?i)forwarding check ([a-z2-7]{20,400})`)

// Recognize looks for a forwarding-check token in the header field
// ForwardingCheckHeader, then in the subject, and returns the account and
// support address it was sent for. Errors: ErrNotForwardingCheck when there
// is no token, ErrTokenInvalid, ErrTokenExpired. A recognized check mail
// must not become a ticket.
func (f *ForwardingCheck) Recognize(h deskmail.Header) (account, address string, err error) {
	var tok string
	if v := h.Values(ForwardingCheckHeader); len(v) > 0 {
		tok = strings.TrimSpace(v[0])
	} else {
		for _, s := range h.Values("Subject") {
			if m := tokenInSubject.FindStringSubmatch(decodeHeader(s)); m != nil {
				tok = m[1]
				break
			}
		}
	}
	if tok == "" {
		return "", "", ErrNotForwardingCheck
	}
	p, err := openToken(f.Keyring, tokenVersionForward, tok)
	if err != nil {
		return "", "", err
	}
	if !f.now().Before(p.exp) {
		return "", "", ErrTokenExpired
	}
	return p.account, p.addr, nil
}

// GmailForwardingSender is the sender of Gmail's forwarding-confirmation
// mails.
const GmailForwardingSender = "forwarding-noreply@google.com"

// ErrNotConfirmation: the mail is not a provider's forwarding confirmation.
var ErrNotConfirmation = errors.New("alias: not a forwarding confirmation")

// Confirmation is a provider's forwarding-confirmation mail: sent when
// a customer sets up forwarding from their mailbox to a platform address.
// Such a mail never becomes a ticket; the host shows the code or follows
// the link so that forwarding starts.
type Confirmation struct {
	// Provider is "gmail".
	Provider string `json:"provider"`
	// Code is the confirmation code from the subject ("(#123456789)").
	Code string `json:"code,omitempty"`
	// Link is the confirmation link from the body, or "".
	Link string `json:"link,omitempty"`
	// Requester is the address that asked to forward, when the body or
	// subject names it.
	Requester string `json:"requester,omitempty"`
}

var (
	// "(#123456789)" in any language; Gmail also writes full-width
	// parentheses in some locales.
	codeInSubject = regexp.MustCompile(`[(（]\s*#\s*([0-9]{4,20})\s*[)）]`)
	gmailLink     = regexp.MustCompile(`https://(?:mail-settings|mail|isolated\.mail)\.google\.com/mail/[^\s"'<>)\]]+`)
	codeInBody    = regexp.MustCompile(`(?i)(?:confirmation code|確認コード)\s*[:：]\s*([0-9]{4,20})`)
	emailInText   = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// ParseConfirmation recognizes a Gmail forwarding-confirmation mail from its
// header and its decoded text body (body may be nil: the code is in the
// subject). The sender must be forwarding-noreply@google.com and the code
// must be found in the subject, in any language, or in the body; the first
// Gmail settings link in the body is returned as Link. It returns
// ErrNotConfirmation otherwise.
//
// The sender address alone is not proof (anyone can write it): the inbound
// pipeline should require DKIM alignment with google.com before following
// Link automatically.
func ParseConfirmation(h deskmail.Header, body []byte) (Confirmation, error) {
	from := ""
	if a, err := deskmail.ParseAddress(h.Get("From")); err == nil {
		from = a.Key()
	}
	if from != GmailForwardingSender {
		return Confirmation{}, ErrNotConfirmation
	}
	c := Confirmation{Provider: "gmail"}
	subject := ""
	if v := h.Values("Subject"); len(v) > 0 {
		subject = decodeHeader(v[0])
	}
	if m := codeInSubject.FindStringSubmatch(subject); m != nil {
		c.Code = m[1]
	}
	text := string(body)
	if len(text) > 256<<10 {
		text = text[:256<<10]
	}
	text = strings.ReplaceAll(strings.ReplaceAll(text, "=\r\n", ""), "=\n", "")
	if c.Code == "" {
		if m := codeInBody.FindStringSubmatch(text); m != nil {
			c.Code = m[1]
		}
	}
	if c.Code == "" {
		return Confirmation{}, ErrNotConfirmation
	}
	if m := gmailLink.FindString(text); m != "" {
		c.Link = strings.ReplaceAll(m, "&amp;", "&")
	}
	for _, s := range []string{subject, text} {
		for _, e := range emailInText.FindAllString(s, 4) {
			if k := deskmail.CanonicalKey(e); k != "" && k != GmailForwardingSender {
				c.Requester = k
				break
			}
		}
		if c.Requester != "" {
			break
		}
	}
	return c, nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}
