package forward

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/deskmail/deskmail"
)

// Method says how a mail carries the message it forwards.
type Method string

// Methods.
const (
	MethodNone     Method = ""         // not a forward
	MethodInline   Method = "inline"   // quoted in the body below a separator or header block
	MethodAttached Method = "attached" // attached as a message/rfc822 part or an .eml file
	MethodResent   Method = "resent"   // resent with Resent-* header fields (RFC 5322 §3.6.6)
)

// Forward is the result of ParseText, Parse and ParseEntity.
//
// When Forwarded is false every other field except Evidence, Note, Subject
// (Parse only) and Forwarder (Parse only) is empty: the package never
// guesses a sender.
//
// From, To, Cc, Subject, Date, Body and Note are data taken from the mail
// as it is (decoded, not sanitised): a host stores and shows them as
// content. Evidence is a message: it quotes mail text only through
// deskmail.Sanitize. The JSON form (MarshalJSON) has snake_case names.
type Forward struct {
	// Forwarded reports that the mail forwards a message whose sender is
	// known: From has an address whenever Forwarded is true.
	Forwarded bool
	// Method says how the original is carried.
	Method Method
	// Evidence is a short human-readable account of what decided: the
	// separator line, "subject prefix FW + header block", "message/rfc822
	// part", "Resent-From header", or why the mail is not a forward.
	Evidence string

	// From is the original sender. Name may be empty; Local and Domain are
	// set whenever Forwarded is true.
	From deskmail.Address
	// To and Cc are the original recipients, as far as the forward names
	// them (inline forwards often show names only; those are left out).
	To, Cc []deskmail.Address
	// Subject is the original subject (inline: as the forward shows it).
	Subject string
	// Date is the original date as written, in the client's language.
	Date string
	// Time is Date parsed when it is an RFC 5322 date; zero otherwise.
	Time time.Time
	// Body is the text of the original message, quote markers of the
	// forward removed.
	Body string
	// Note is what the forwarder wrote above the forwarded message.
	Note string
	// Forwarder is the author of the forwarding mail: its From header, or
	// Resent-From for a resent mail. Set by Parse and ParseEntity only.
	Forwarder deskmail.Address
}

// Options bound the work done on one mail. A nil *Options means the
// defaults; a zero field means that field's default.
type Options struct {
	// MaxBytes is the largest input accepted: the raw message for Parse,
	// the body text for ParseText. Larger input is an error wrapping
	// ErrTooLarge. Zero means 25 MiB.
	MaxBytes int64
	// MaxScan is how many bytes of body text are searched for a forward;
	// text after it is not searched, and not an error (a forward header
	// sits near the top). Zero means 256 KiB.
	MaxScan int
	// MaxParts is how many MIME parts Parse visits; a message with more is
	// an error wrapping ErrTooLarge. Zero means 200.
	MaxParts int
	// MaxHeaderBytes bounds the header of the message (Parse); more is an
	// error wrapping ErrTooLarge. Zero means 1 MiB.
	MaxHeaderBytes int
	// MaxLineBytes bounds every line of a raw message, header and body
	// (Parse); a longer line is an error wrapping ErrTooLarge. Zero means
	// 1 MiB. ParseText has no such error: a line longer than 8 KiB is
	// simply never a header line.
	MaxLineBytes int
}

const (
	defaultMaxBytes       = 25 << 20
	defaultMaxScan        = 256 << 10
	defaultMaxParts       = 200
	defaultMaxHeaderBytes = 1 << 20
	defaultMaxLineBytes   = 1 << 20
)

func (o *Options) maxBytes() int64 {
	if o == nil || o.MaxBytes <= 0 {
		return defaultMaxBytes
	}
	return o.MaxBytes
}

func (o *Options) maxScan() int {
	if o == nil || o.MaxScan <= 0 {
		return defaultMaxScan
	}
	return o.MaxScan
}

func (o *Options) maxParts() int {
	if o == nil || o.MaxParts <= 0 {
		return defaultMaxParts
	}
	return o.MaxParts
}

func (o *Options) maxHeaderBytes() int {
	if o == nil || o.MaxHeaderBytes <= 0 {
		return defaultMaxHeaderBytes
	}
	return o.MaxHeaderBytes
}

func (o *Options) maxLineBytes() int {
	if o == nil || o.MaxLineBytes <= 0 {
		return defaultMaxLineBytes
	}
	return o.MaxLineBytes
}

// ErrTooLarge is wrapped by the *LimitError every entry point returns when
// the input passes one of the Options bounds.
var ErrTooLarge = errors.New("forward: input too large")

// LimitError says which bound the input passed.
type LimitError struct {
	// Limit names the bound: "bytes", "header bytes", "line bytes" or
	// "parts".
	Limit string `json:"limit"`
	// Max is the bound's value.
	Max int64 `json:"max"`
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("forward: input too large: more than %d %s", e.Max, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

type jsonForward struct {
	Forwarded bool               `json:"forwarded"`
	Method    Method             `json:"method,omitempty"`
	Evidence  string             `json:"evidence"`
	From      *deskmail.Address  `json:"from,omitempty"`
	To        []deskmail.Address `json:"to,omitempty"`
	Cc        []deskmail.Address `json:"cc,omitempty"`
	Subject   string             `json:"subject,omitempty"`
	Date      string             `json:"date,omitempty"`
	Time      *time.Time         `json:"time,omitempty"`
	Body      string             `json:"body,omitempty"`
	Note      string             `json:"note,omitempty"`
	Forwarder *deskmail.Address  `json:"forwarder,omitempty"`
}

// MarshalJSON writes f with snake_case names; an address is an object with
// name, address, local and domain; time is RFC 3339 with the offset the
// mail gave (a mail date carries no zone name).
func (f Forward) MarshalJSON() ([]byte, error) {
	j := jsonForward{
		Forwarded: f.Forwarded, Method: f.Method, Evidence: f.Evidence,
		From: orNil(f.From), To: f.To, Cc: f.Cc,
		Subject: f.Subject, Date: f.Date, Body: f.Body, Note: f.Note, Forwarder: orNil(f.Forwarder),
	}
	if !f.Time.IsZero() {
		t := f.Time
		j.Time = &t
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Forward) UnmarshalJSON(b []byte) error {
	var j jsonForward
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Forward{
		Forwarded: j.Forwarded, Method: j.Method, Evidence: j.Evidence,
		From: deref(j.From), To: j.To, Cc: j.Cc,
		Subject: j.Subject, Date: j.Date, Body: j.Body, Note: j.Note, Forwarder: deref(j.Forwarder),
	}
	if j.Time != nil {
		f.Time = *j.Time
	}
	return nil
}

// orNil is nil for the zero Address, so JSON leaves it out.
func orNil(a deskmail.Address) *deskmail.Address {
	if a == (deskmail.Address{}) {
		return nil
	}
	return &a
}

func deref(a *deskmail.Address) deskmail.Address {
	if a == nil {
		return deskmail.Address{}
	}
	return *a
}
