package inbound

import (
	"context"

	"github.com/deskmail/deskmail"
)

// Delivery is one decided mail a door hands to the host: the smtpd
// server once per account an SMTP or LMTP transaction's recipients belong
// to, the fetch package once per message it read from a mailbox.
type Delivery struct {
	// ID names the delivery in logs: the SMTP transaction's id (as in its
	// Received field), or the mailbox source and message.
	ID string `json:"id,omitempty"`
	// Decision is the pipeline's decision.
	Decision *Decision `json:"decision"`
	// Envelope is what the door knew besides the bytes: the SMTP envelope
	// (MAIL FROM, this account's recipients, client address and HELO), or
	// an empty one for fetched mail.
	Envelope *deskmail.Envelope `json:"envelope,omitempty"`
	// Raw is the mail to store. From the SMTP door it starts with the
	// server's Received field and the pipeline's Authentication-Results;
	// fetched mail is as the mailbox held it. Raw is valid only until
	// Deliver returns: copy it to keep it.
	Raw []byte `json:"-"`
	// Authenticated is who authenticated the path: the SMTP AUTH identity,
	// or the login the mailbox was fetched with. "" for an MX session.
	Authenticated string `json:"authenticated,omitempty"`
	// Trusted reports that the mail went through the pipeline's trusted
	// path (Pipeline.Trusted): a submission session whose sender the host
	// checked, or a mailbox the host marked as an agent's own.
	Trusted bool `json:"trusted"`
	// TLS reports that the connection used TLS.
	TLS bool `json:"tls"`
	// Protocol is how the mail came: the RFC 3848 name of the SMTP door
	// (ESMTP, ESMTPS, ESMTPA, ESMTPSA, or the LMTP forms), or "IMAP" or
	// "POP3".
	Protocol string `json:"protocol,omitempty"`
	// Source is the host's id of the mailbox a fetched mail came from, ""
	// for the SMTP door.
	Source string `json:"source,omitempty"`
}

// Handler is the host's side of a door: it files one decided mail (opens
// the ticket, appends, holds for review …). The door acknowledges the mail
// — 250 to the SMTP client, the flag or deletion on the mailbox — only
// after Deliver returned nil; an error makes the door try again later (an
// SMTP 451, the message left on the server). Deliver is called
// concurrently for different sessions and sources.
type Handler interface {
	Deliver(ctx context.Context, d *Delivery) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, d *Delivery) error

// Deliver calls f(ctx, d).
func (f HandlerFunc) Deliver(ctx context.Context, d *Delivery) error { return f(ctx, d) }

var _ Handler = HandlerFunc(nil)
