package bounce

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/deskmail/deskmail/internal/mailparse"
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
	Policy SeverityPolicy
}

// ReportKind is what a parsed mail is.
type ReportKind string

// The kinds of mail Parse tells apart.
const (
	KindNone      ReportKind = ""          // not a report: an ordinary mail
	KindFailure   ReportKind = "failure"   // a non-delivery report: the failed recipients, or none when it names none
	KindDelay     ReportKind = "delay"     // a delay notice: delivery is still being tried
	KindDelivery  ReportKind = "delivery"  // a delivery success notice (RFC 3464 Action: delivered)
	KindComplaint ReportKind = "complaint" // an abuse or feedback report (ARF, RFC 5965)
	KindVacation  ReportKind = "vacation"  // an auto-reply such as a vacation notice (RFC 3834)
)

// Report is what Parse found in one mail.
type Report struct {
	// Kind says what the mail is. KindNone means it is not a report; the
	// other fields are then mostly empty.
	Kind ReportKind `json:"kind"`
	// FeedbackType is the ARF Feedback-Type ("abuse", "fraud", …) of a
	// complaint.
	FeedbackType string `json:"feedback_type,omitempty"`
	// ReportingMTA is the host that wrote the report, when it says.
	ReportingMTA string `json:"reporting_mta,omitempty"`
	// From, To and Subject are the report's own header fields (To is where
	// the report was sent: a VERP return path when we set one).
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	// MessageID is the report's own Message-ID, without angle brackets:
	// the same report delivered twice is applied once.
	MessageID string `json:"message_id"`
	// Envelope lists the addresses the report was delivered to, from
	// Delivered-To, X-Original-To and To, for finding a VERP token.
	Envelope []string `json:"envelope"`
	// Recipients holds one entry per recipient the report is about.
	Recipients []Recipient `json:"recipients"`
	// Original is what the report carries of the message it is about.
	Original Original `json:"original"`
	// Truncated is set when the mail was longer than MaxBytes.
	Truncated bool `json:"truncated,omitempty"`
}

// Recipient is the outcome for one recipient of the original message.
type Recipient struct {
	// Address is the recipient (Final-Recipient, or what the MTA named).
	Address string `json:"address"`
	// OriginalRecipient is the address the sender gave (the RFC 3464
	// Original-Recipient field), when it differs from Address: the alias
	// or list that led to the failed address.
	OriginalRecipient string `json:"original_recipient,omitempty"`
	// Action is the RFC 3464 action: failed, delayed, delivered, relayed or
	// expanded; for non-standard reports it is inferred.
	Action string `json:"action"`
	// Status is the RFC 3463 enhanced status code, or sisimai's pseudo code
	// ("5.0.911") when the report carries none.
	Status string `json:"status"`
	// ReplyCode is the SMTP reply code, when the report gives one.
	ReplyCode int `json:"reply_code,omitempty"`
	// Diagnostic is the remote server's text or the MTA's explanation.
	Diagnostic string `json:"diagnostic"`
	// RemoteMTA is the server that refused the message, when known.
	RemoteMTA string `json:"remote_mta,omitempty"`
	// Command is the SMTP command the failure followed (RCPT, DATA, …),
	// when known.
	Command string `json:"command,omitempty"`
	// Reason is the cause in the sisimai taxonomy.
	Reason Reason `json:"reason"`
	// Severity is the policy's severity for Reason.
	Severity Severity `json:"severity"`

	unix       bool   // the diagnostic came from a local program (X-Unix)
	mdn        bool   // a disposition notification's refusal (Sieve reject)
	summary    bool   // Diagnostic is the report's prose, not the MTA's diagnostic
	statusNote string // the comment of the Status field
}

// Original is what a report carries of the message it is about.
type Original struct {
	// MessageID is the Message-ID without angle brackets.
	MessageID string `json:"message_id"`
	// From, To, Subject and Date are the original header fields, decoded
	// where they used RFC 2047 words.
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Date    string `json:"date"`
	// Raw is the original header as the report carried it (LF line
	// endings), possibly cut short; Header parses it. It is not part of
	// the JSON form, which keeps the decoded fields above.
	Raw []byte `json:"-"`
}

// Header parses Raw with go-message's textproto: every original header
// field the report carried.
func (o *Original) Header() (textproto.Header, error) {
	if len(o.Raw) == 0 {
		return textproto.Header{}, nil
	}
	h, _, err := mailparse.ReadHeader(o.Raw)
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
	var policy SeverityPolicy = DefaultPolicy
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
	b = mailparse.NormalizeNewlines(b)
	// An mbox "From " line may precede the header.
	if bytes.HasPrefix(b, []byte("From ")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	h, body, err := mailparse.ReadHeader(b)
	if err != nil {
		return nil, ErrNotMail
	}
	p.parse(h, body)
	return &p.rep, nil
}
