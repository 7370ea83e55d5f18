package threading

import (
	"errors"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/internal/token"
)

// Outgoing describes a message about to be sent on a ticket.
type Outgoing struct {
	// Account and Ticket are required.
	Account string `json:"account,omitempty"`
	Ticket  string `json:"ticket,omitempty"`

	// Message is the host's id of this message. Empty: a random id, so
	// the Message-ID is still unique.
	Message string `json:"message,omitempty"`

	// Number is the ticket number shown to people. Empty: no subject tag.
	Number string `json:"number,omitempty"`

	// Subject is the subject to send. The tag for Number is appended unless
	// the subject already holds it.
	Subject string `json:"subject,omitempty"`

	// Domain is the right-hand side of the Message-ID. Empty:
	// Options.Domain.
	Domain string `json:"domain,omitempty"`

	// Parent is the Message-ID of the mail this one answers, usually the
	// customer's last mail. Empty: the last of Thread.
	Parent string `json:"parent,omitempty"`

	// Thread holds the Message-IDs already on the ticket, oldest first: the
	// customer's and ours, including ids a provider assigned when sending.
	// They become References, so a reply that keeps References joins the
	// ticket even when the provider rewrote our Message-ID.
	Thread []string `json:"thread,omitempty"`

	// Support is the support address for the Reply-To. Empty (zero Local):
	// no Reply-To. With it, Reply-To is the support address with a reply
	// tag: support+TOKEN@domain.
	Support deskmail.Address `json:"support,omitempty"`
}

// Headers are the thread headers of an outgoing message. Every value is ready
// to be written as a header field body and holds no CR or LF.
type Headers struct {
	MessageID  string `json:"message_id,omitempty"`  // "<dm.…@domain>"
	InReplyTo  string `json:"in_reply_to,omitempty"` // "<parent>", or "" for the first mail of a ticket
	References string `json:"references,omitempty"`  // "<root> … <parent>", space separated, or ""
	ReplyTo    string `json:"reply_to,omitempty"`    // "support+TAG@domain", or "" without Outgoing.Support
	Subject    string `json:"subject,omitempty"`     // the subject with the ticket tag
}

// Headers returns the thread headers for o. It rejects ids and subjects
// holding CR, LF or NUL (deskmail.ErrHeaderInjection).
func (t *Threader) Headers(o Outgoing) (Headers, error) {
	var h Headers
	if err := deskmail.CheckHeaderValue(o.Subject); err != nil {
		return h, fmt.Errorf("threading: subject: %w", err)
	}
	if err := deskmail.CheckHeaderValue(o.Number); err != nil {
		return h, fmt.Errorf("threading: number: %w", err)
	}
	msg := o.Message
	if msg == "" {
		var b [10]byte
		if _, err := t.rand.Read(b[:]); err != nil {
			return h, fmt.Errorf("threading: random message id: %v", err)
		}
		msg = token.Encode(b[:])
	}
	var err error
	h.MessageID, err = t.MessageID(Token{Account: o.Account, Ticket: o.Ticket, Message: msg}, o.Domain)
	if err != nil {
		return h, err
	}

	thread := make([]string, 0, len(o.Thread)+1)
	seen := make(map[string]bool, len(o.Thread)+1)
	add := func(id string) error {
		id = cleanID(id)
		if err := deskmail.CheckHeaderValue(id); err != nil {
			return fmt.Errorf("threading: message id: %w", err)
		}
		if !validID(id) {
			return fmt.Errorf("threading: invalid message id %q", truncate(id, 40))
		}
		if !seen[id] {
			seen[id] = true
			thread = append(thread, id)
		}
		return nil
	}
	for _, id := range o.Thread {
		if err := add(id); err != nil {
			return Headers{}, err
		}
	}
	parent := cleanID(o.Parent)
	if parent != "" {
		if err := add(parent); err != nil {
			return Headers{}, err
		}
		// The parent goes last in References (RFC 5322 §3.6.4).
		for i, id := range thread {
			if id == parent {
				thread = append(append(thread[:i:i], thread[i+1:]...), parent)
				break
			}
		}
	} else if len(thread) > 0 {
		parent = thread[len(thread)-1]
	}
	if parent != "" {
		h.InReplyTo = "<" + parent + ">"
	}
	if len(thread) > t.maxRefs {
		thread = append(thread[:1:1], thread[len(thread)-(t.maxRefs-1):]...)
	}
	if len(thread) > 0 {
		h.References = "<" + strings.Join(thread, "> <") + ">"
	}

	h.Subject = o.Subject
	if o.Number != "" {
		if strings.ContainsAny(o.Number, " \t") || len(o.Number) > maxNumber {
			return Headers{}, errors.New("threading: ticket number holds white space or is too long")
		}
		h.Subject = t.tag.add(o.Subject, o.Number)
	}

	if o.Support.Local != "" {
		a, err := t.ReplyAddress(o.Support, o.Account, o.Ticket)
		if err != nil {
			return Headers{}, err
		}
		h.ReplyTo = a.String()
	}
	return h, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
