package bounce

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/deskmail/deskmail"
)

// OwnedMessage is what a MessageOwner says of a Message-ID.
type OwnedMessage struct {
	// Account is the account that sent the message; empty means the
	// Message-ID is not ours.
	Account string `json:"account,omitempty"`
	// Ref is the host's reference for the message (a ticket or message
	// id), carried into Attribution.MessageRef.
	Ref string `json:"ref,omitempty"`
}

// MessageOwner tells whether a Message-ID (without angle brackets) is one
// we sent, and for which account. A Message-ID that is not ours is an
// OwnedMessage with an empty Account and a nil error; an error (a store
// that cannot be read) makes Apply fail with that error wrapped, so the
// caller can ask for the report to be delivered again later. The inbound
// package adapts a threading.Threader to it (inbound.OwnMessage).
type MessageOwner func(ctx context.Context, messageID string) (OwnedMessage, error)

// How a report was attributed (Attribution.Via).
const (
	ViaVERP      = "verp"
	ViaMessageID = "message-id"
)

// Attribution says which message of ours a report is about (B6, B10).
type Attribution struct {
	Account string `json:"account"`
	// MessageID is the original message's Message-ID (without angle
	// brackets). Empty means the message is unknown: a VERP report that
	// carries no Message-ID matching its token.
	MessageID string `json:"message_id,omitempty"`
	// MessageRef is the host's reference from OwnMessage, when it gave one.
	MessageRef string `json:"message_ref,omitempty"`
	// Recipient is the recipient a VERP token names, found among the
	// report's recipients, the original To and the recorded recipients of
	// the message. Empty for Message-ID attribution, and for a VERP token
	// whose recipient none of those names (Apply then changes no address).
	Recipient string `json:"recipient,omitempty"`
	// Via is ViaVERP or ViaMessageID.
	Via string `json:"via"`
}

// attributed is an Attribution with what Apply needs besides: the index in
// the report's recipients of the entry a VERP token's recipient is about
// (or -1), and the message's idempotency key.
type attributed struct {
	Attribution
	idx    int
	msgKey string
}

// Attribute ties a report to a message we sent: by a verified VERP token
// among the addresses it was delivered to, else by the returned message's
// Message-ID through Options.OwnMessage. It returns ErrNotOurs otherwise,
// ErrBadToken (wrapped in ErrNotOurs) for a forged token, and the
// OwnMessage callback's error wrapped.
//
// A VERP token carries the account and hashes of the Message-ID and the
// recipient. The message is named when the report's original Message-ID
// matches the hash; the recipient is the address among the report's
// recipients, the original To field and the recorded recipients of the
// named message that matches its hash.
func (t *Tracker) Attribute(ctx context.Context, rep *Report) (Attribution, error) {
	if err := t.ready(); err != nil {
		return Attribution{}, err
	}
	if rep == nil {
		return Attribution{}, ErrNotOurs
	}
	a, err := t.attribute(ctx, rep)
	return a.Attribution, err
}

func (t *Tracker) attribute(ctx context.Context, rep *Report) (attributed, error) {
	if t.o.VERP != nil {
		tok, err := t.o.VERP.Find(rep.Envelope)
		if err == nil {
			return t.attributeVERP(ctx, rep, tok)
		}
		if errors.Is(err, ErrBadToken) && rep.Original.MessageID == "" {
			return attributed{idx: -1}, fmt.Errorf("%w: %w", ErrNotOurs, err)
		}
	}
	if id := trimID(rep.Original.MessageID); t.o.OwnMessage != nil && id != "" {
		own, err := t.o.OwnMessage(ctx, id)
		if err != nil {
			return attributed{idx: -1}, fmt.Errorf("bounce: OwnMessage: %w", err)
		}
		if own.Account != "" {
			return attributed{Attribution: Attribution{Account: own.Account, MessageID: id, MessageRef: own.Ref, Via: ViaMessageID},
				idx: -1, msgKey: id}, nil
		}
	}
	return attributed{idx: -1}, ErrNotOurs
}

func (t *Tracker) attributeVERP(ctx context.Context, rep *Report, tok Token) (attributed, error) {
	a := attributed{Attribution: Attribution{Account: tok.Account, Via: ViaVERP}, idx: -1,
		msgKey: "verp:" + hex.EncodeToString(tok.MessageHash[:])}
	if id := trimID(rep.Original.MessageID); tok.MessageIs(id) {
		a.MessageID, a.msgKey = id, id
		if t.o.OwnMessage != nil {
			own, err := t.o.OwnMessage(ctx, id)
			if err != nil {
				return attributed{idx: -1}, fmt.Errorf("bounce: OwnMessage: %w", err)
			}
			if own.Account == tok.Account {
				a.MessageRef = own.Ref
			}
		}
	}
	for i, rc := range rep.Recipients {
		if tok.RecipientIs(rc.Address) {
			a.Recipient, a.idx = normAddr(rc.Address), i
			return a, nil
		}
	}
	// The report names the recipient otherwise (an alias, a forward): look
	// for it in the original To and in the recipients recorded at send
	// time. A lone listed address is taken for the forward of the token's
	// recipient, unless it is itself one of the message's recipients: a
	// token made for one recipient never changes another.
	var known []string
	if rep.Original.To != "" {
		if list, err := deskmail.ParseAddressList(rep.Original.To); err == nil {
			for _, ad := range list {
				known = append(known, normAddr(ad.Addr()))
			}
		}
	}
	if a.MessageID != "" {
		sm, err := t.store.Sent(ctx, a.Account, a.MessageID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return attributed{idx: -1}, err
		}
		known = append(known, sm.Recipients...)
	}
	for _, r := range known {
		if tok.RecipientIs(r) {
			a.Recipient = r
			break
		}
	}
	if a.Recipient != "" && len(rep.Recipients) == 1 && !slices.Contains(known, normAddr(rep.Recipients[0].Address)) {
		a.idx = 0
	}
	return a, nil
}
