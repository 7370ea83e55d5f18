// Package deskmail holds the vocabulary every other deskmail package shares:
// the kinds of outgoing mail, the SMTP Envelope of a sent or received
// message, the Transport that sends a message and reports a result per
// recipient, the Middleware that wraps one Transport in another, the Reason
// every decision carries, the Header interface mail is read through, the
// Keyring that signs every token, Sanitize for text taken from mail, and
// the address handling every package uses (see Address).
//
// deskmail is an embeddable library for the email plumbing of a helpdesk or
// CRM. The host application owns tickets, contacts, agents and storage;
// deskmail owns the email semantics around them. The packages are:
//
//	alias       support addresses, departments, inbound routing, identities
//	threading   outbound thread headers, inbound ticket matching, thread trees
//	forward     the original sender of a forwarded mail
//	autoreply   RFC 3834 auto-reply and loop detection
//	bounce      bounce classification, VERP, per-address bounce state
//	relay       relay selection, daily caps, fallback, SMTP transport
//	spf, dkim, dmarc, arc  sender authentication, one standard each
//	senderauth  the SPF, DKIM, ARC and DMARC verdict of a received mail
//	inbound     the composed inbound pipeline: raw mail in, a Decision out
//	smtpd       the inbound door: an SMTP and LMTP server for the pipeline
//	fetch       the other door: IMAP and POP3 mailboxes polled into it
//	compose     the outgoing mail built from a draft, and one Send for it
//	store/postgres  every store interface on PostgreSQL
//	dnstest, smtptest  fakes for a host's own tests
//
// # Transports and middleware
//
// A Transport sends one message for one Envelope. The message is a byte
// slice: DKIM signing must read all of it and a fallback path must send it
// again, so a one-shot reader would not do; messages are bounded by the
// receiving servers' SIZE limits (tens of megabytes), which fits in memory.
// Middlewares — DKIM signing, the bounce gate, VERP return paths, relay
// selection — wrap a Transport, so a CRM vendor keeps its own send path and
// wraps it:
//
//	t := deskmail.Chain(mySendPath, tracker.Middleware(), signer.Middleware())
//
// sends through the bounce gate (a *bounce.Tracker) first, then the DKIM
// signer (a *dkim.Signer), then the host's own path.
//
// # Secrets
//
// Every signed token deskmail writes — the thread token in a Message-ID or
// reply address, a VERP return path, an identity verification link, a
// forwarding check — is signed with one Keyring: NewKeyring(newest,
// older...) signs with the first secret and verifies with all, so secrets
// rotate without breaking mail in flight. A Keyring never prints, logs or
// serialises its secrets.
//
// # Text from mail
//
// Names, subjects, bounce prose and server replies are written by
// strangers. Whatever deskmail quotes from them in a Reason, an error or a
// log attribute went through Sanitize (control and format characters
// escaped, length bounded); the data fields of a result (a forward's
// sender name, a report's diagnostic) stay as the mail had them, for the
// host to escape where it shows them.
//
// # Conventions
//
// Every store and result is keyed by an account (a tenant). Time, randomness,
// secrets and DNS are injected through options, never read from globals;
// there is no exported mutable package state. Constructors return an error
// for a missing required dependency instead of panicking later. Callbacks a
// host implements take a context.Context and return an error, which the
// caller passes on (the inbound pipeline answers it as a temporary
// failure). Errors are sentinels compared with errors.Is, or struct types
// carrying data; messages are prefixed with the package name. Every value a
// host stores or logs has explicit JSON tags in snake_case; time zones are
// IANA names; secrets are never serialised.
package deskmail

import (
	"context"
	"fmt"
	"net/netip"
)

// Kind is what an outgoing mail is. Relays are chosen per kind, and the
// account bounce-rate gate stops only notifications.
type Kind string

// The kinds of outgoing mail.
const (
	KindReply        Kind = "reply"        // an agent's reply on a ticket
	KindNotification Kind = "notification" // system mail to a contact
	KindWorkflow     Kind = "workflow"     // mail sent by a workflow rule
	KindMass         Kind = "mass"         // mass mail to many contacts
	KindIndividual   Kind = "individual"   // a one-off mail from a CRM record
)

// Kinds returns every Kind in a stable order, in a new slice.
func Kinds() []Kind {
	return []Kind{KindReply, KindNotification, KindWorkflow, KindMass, KindIndividual}
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindReply, KindNotification, KindWorkflow, KindMass, KindIndividual:
		return true
	}
	return false
}

// Envelope is the SMTP envelope of one message, outgoing or received, plus
// what deskmail needs to know about it besides its bytes.
//
// For outgoing mail, Account, From, To and Kind matter; MessageID and
// HeaderFrom save a parse. For received mail, From, To, ClientIP and HELO are
// what the receiving server saw; the inbound pipeline finds the Account by
// routing. For fetched mail (POP3, IMAP) leave ClientIP invalid and To empty:
// authentication then rests on DKIM and routing on the header.
type Envelope struct {
	// Account is the tenant the message belongs to. Required for outgoing
	// mail; ignored by the inbound pipeline, which routes.
	Account string `json:"account,omitempty"`
	// From is the reverse-path (MAIL FROM). Empty means the null sender <>.
	// Middlewares such as a VERP return path may rewrite it.
	From string `json:"from"`
	// To holds the recipients (RCPT TO), one address each, without angle
	// brackets.
	To []string `json:"to,omitempty"`
	// Kind is what an outgoing message is. Empty is treated as KindReply by
	// the packages that branch on it.
	Kind Kind `json:"kind,omitempty"`
	// MessageID is the message's Message-ID without angle brackets. Optional;
	// when set, delivery status is recorded against it.
	MessageID string `json:"message_id,omitempty"`
	// HeaderFrom is the address of the From header, when the caller knows it.
	// Relay selection uses its domain; when empty, packages that need it parse
	// the message header.
	HeaderFrom string `json:"header_from,omitempty"`
	// ClientIP is the address of the client that delivered a received
	// message. The zero value (fetched mail) skips SPF.
	ClientIP netip.Addr `json:"client_ip,omitzero"`
	// HELO is the name the client gave in HELO, EHLO or LHLO.
	HELO string `json:"helo,omitempty"`
}

// Clone returns a copy of e whose To slice may be changed without touching e.
func (e *Envelope) Clone() *Envelope {
	c := *e
	c.To = append([]string(nil), e.To...)
	return &c
}

// Status is the outcome of a send for one recipient.
type Status string

// The per-recipient outcomes of a send.
const (
	// StatusDelivered: the next hop accepted the message for the recipient.
	StatusDelivered Status = "delivered"
	// StatusRejected: the recipient was rejected permanently (5xx): a bounce
	// at send time. The message must not be sent to it again by another path.
	StatusRejected Status = "rejected"
	// StatusDeferred: a temporary failure (4xx or a fault before DATA); the
	// message was not delivered and may be retried.
	StatusDeferred Status = "deferred"
	// StatusDropped: not attempted, by policy (a blocked address, a gate).
	StatusDropped Status = "dropped"
	// StatusUnknown: the outcome is not known, because the connection failed
	// after the message data was sent. It must not be sent again, or the
	// recipient may receive it twice.
	StatusUnknown Status = "unknown"
)

// RecipientResult is the outcome of a send for one recipient.
type RecipientResult struct {
	Recipient string `json:"recipient"`
	Status    Status `json:"status"`
	// Code is the SMTP reply code, when a server gave one.
	Code int `json:"code,omitempty"`
	// EnhancedCode is the RFC 3463 enhanced status code ("5.1.1"), when a
	// server gave one.
	EnhancedCode string `json:"enhanced_code,omitempty"`
	// Message is the server's reply text, or why the recipient was dropped.
	Message string `json:"message,omitempty"`
	// Reason is a short machine-readable cause, such as the bounce taxonomy
	// name ("userunknown") or a gate's drop reason ("hard_blocked").
	Reason string `json:"reason,omitempty"`
}

// Result is what a Transport reports for one message.
type Result struct {
	// Recipients holds one entry per recipient of the envelope, in its order.
	Recipients []RecipientResult `json:"recipients"`
	// Via names the path that carried the message, such as "platform" or
	// "relay:smtp.example.com:587". Empty when the transport does not say.
	Via string `json:"via,omitempty"`
}

// Recipient returns the result for addr and whether there is one.
func (r *Result) Recipient(addr string) (RecipientResult, bool) {
	if r == nil {
		return RecipientResult{}, false
	}
	for _, rr := range r.Recipients {
		if rr.Recipient == addr {
			return rr, true
		}
	}
	return RecipientResult{}, false
}

// Transport sends one message for one envelope.
//
// Send reports a result for every recipient of env whenever it got as far as
// deciding about them. A non-nil error means the attempt as a whole failed
// (for example, the server could not be reached); the Result may then be nil
// or carry the recipients' statuses. A Transport must not modify env or msg;
// a middleware that changes them passes copies on. Implementations are safe
// for concurrent use.
type Transport interface {
	Send(ctx context.Context, env *Envelope, msg []byte) (*Result, error)
}

// TransportFunc adapts a function to a Transport.
type TransportFunc func(ctx context.Context, env *Envelope, msg []byte) (*Result, error)

// Send calls f.
func (f TransportFunc) Send(ctx context.Context, env *Envelope, msg []byte) (*Result, error) {
	return f(ctx, env, msg)
}

// Middleware wraps a Transport in another.
type Middleware func(Transport) Transport

// Chain wraps t in the middlewares so that the first one sees a message
// first: Chain(t, a, b) sends through a, then b, then t.
func Chain(t Transport, mws ...Middleware) Transport {
	for i := len(mws) - 1; i >= 0; i-- {
		t = mws[i](t)
	}
	return t
}

// ResultFor builds a Result that gives every recipient of env the same
// status, code and message. Transports use it for whole-message outcomes.
func ResultFor(env *Envelope, status Status, code int, enhanced, msg string) *Result {
	r := &Result{Recipients: make([]RecipientResult, len(env.To))}
	for i, rcpt := range env.To {
		r.Recipients[i] = RecipientResult{Recipient: rcpt, Status: status, Code: code, EnhancedCode: enhanced, Message: msg}
	}
	return r
}

// String returns a short human-readable form of rr.
func (rr RecipientResult) String() string {
	s := fmt.Sprintf("%s: %s", rr.Recipient, rr.Status)
	if rr.Code != 0 {
		s += fmt.Sprintf(" %d", rr.Code)
	}
	if rr.EnhancedCode != "" {
		s += " " + rr.EnhancedCode
	}
	if rr.Reason != "" {
		s += " (" + rr.Reason + ")"
	}
	if rr.Message != "" {
		s += ": " + rr.Message
	}
	return s
}
