package smtpd

import (
	"context"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
)

// Handler receives each mail the pipeline decided, once per account the
// transaction's recipients belong to. Deliver is called from the session's
// goroutine, concurrently for different sessions.
//
// The mail is acknowledged (250) only after Deliver returned nil. An error
// answers 451 4.3.0 and the sender retries later; the error text stays in
// the server's log and never reaches the client.
type Handler interface {
	Deliver(ctx context.Context, d *Delivery) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, d *Delivery) error

// Deliver calls f(ctx, d).
func (f HandlerFunc) Deliver(ctx context.Context, d *Delivery) error { return f(ctx, d) }

var _ Handler = HandlerFunc(nil)

// Delivery is one decided mail for one account.
type Delivery struct {
	// ID is the transaction's id, as in the Received field.
	ID string `json:"id"`
	// Decision is the pipeline's decision for this account.
	Decision *inbound.Decision `json:"decision"`
	// Envelope is the SMTP envelope: MAIL FROM, the recipients of this
	// account, the client's address and HELO name.
	Envelope *deskmail.Envelope `json:"envelope"`
	// Raw is the mail to store: the server's Received field, the
	// pipeline's Authentication-Results, then the mail as received, with
	// any Authentication-Results field that claimed the same authserv-id
	// removed (RFC 8601 §5). Raw is valid only until Deliver returns:
	// copy it to keep it.
	Raw []byte `json:"-"`
	// Authenticated is the AUTH identity of the session, "" when the
	// session did not authenticate. Mail from an authenticated session
	// came through a path the host controls (its submission port).
	Authenticated string `json:"authenticated,omitempty"`
	// Trusted reports that the mail went through the pipeline's trusted
	// path: the session authenticated and Options.SenderCheck allowed
	// its MAIL FROM and every From address.
	Trusted bool `json:"trusted"`
	// TLS reports that the session used TLS (STARTTLS).
	TLS bool `json:"tls"`
	// Protocol is the RFC 3848 protocol name in the Received field:
	// ESMTP, ESMTPS, ESMTPA, ESMTPSA, or the LMTP forms.
	Protocol string `json:"protocol"`
}
