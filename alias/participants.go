package alias

import (
	"context"

	"github.com/deskmail/deskmail"
)

// OwnerKind says what kind of the account's own address an address is.
type OwnerKind string

// The kinds of own address.
const (
	OwnerIdentity        OwnerKind = "identity"         // a sender identity (not deleted)
	OwnerSupportAddress  OwnerKind = "support_address"  // a support address
	OwnerPlatformAddress OwnerKind = "platform_address" // a support address's platform address
)

// Owned describes an address that belongs to the account.
type Owned struct {
	Kind OwnerKind `json:"kind"`
	// Address is the matching identity or support address (its Address).
	Address string `json:"address"`
}

// Owns reports whether addr is one of the account's own addresses: a sender
// identity that is not deleted, a support address or a platform address,
// compared by canonical key and, failing that, without a sub-address tag
// (sep as in deskmail.Address.Base; "" means "+").
//
// The inbound pipeline uses it to recognise outgoing copies: a mail whose
// From is one of these and that reaches the account (typically a Bcc to
// self from another mail client) is an outgoing copy, filed against the
// contact, not a new ticket.
func (a *Account) Owns(addr deskmail.Address, sep string) (Owned, bool) {
	if o, ok := a.owns(addr.Key()); ok {
		return o, true
	}
	if b := addr.Base(sep); b.Local != addr.Local {
		return a.owns(b.Key())
	}
	return Owned{}, false
}

func (a *Account) owns(k string) (Owned, bool) {
	for _, x := range a.Identities {
		if x.Address == k && x.Status != StatusDeleted {
			return Owned{Kind: OwnerIdentity, Address: x.Address}, true
		}
	}
	for _, s := range a.Addresses {
		if s.Address == k {
			return Owned{Kind: OwnerSupportAddress, Address: s.Address}, true
		}
		if s.PlatformAddress == k {
			return Owned{Kind: OwnerPlatformAddress, Address: s.Address}, true
		}
	}
	return Owned{}, false
}

// Contact is a host record (CRM contact, lead, account) found by address.
type Contact struct {
	// ID is the host's id.
	ID string `json:"id"`
	// Kind is the host's record type, such as "contact" or "lead".
	Kind string `json:"kind,omitempty"`
	// Address is the canonical key the record was found by.
	Address string `json:"address"`
}

// Directory finds the host's records for addresses. The host
// implements it over its CRM. FindContacts receives canonical keys
// (deskmail.Address.Key), unique, and returns every record whose address
// has one of those keys, in any order; no match is an empty result, not an
// error. It must be safe for concurrent use.
type Directory interface {
	FindContacts(ctx context.Context, account string, keys []string) ([]Contact, error)
}

// DirectoryFunc adapts a function to a Directory.
type DirectoryFunc func(ctx context.Context, account string, keys []string) ([]Contact, error)

// FindContacts calls f.
func (f DirectoryFunc) FindContacts(ctx context.Context, account string, keys []string) ([]Contact, error) {
	return f(ctx, account, keys)
}

// ParticipantMatch is one participant address and the records that match it.
type ParticipantMatch struct {
	// Address is the participant's canonical key.
	Address string `json:"address"`
	// Contacts are the records found for it; empty when none.
	Contacts []Contact `json:"contacts"`
}

// MatchParticipants associates the participants of a mail (From, To, Cc …)
// with the host's records. The account's own addresses (Owns) are left
// out, duplicates are merged, and the result keeps the participants' order,
// one entry per remaining address, so the host can create a contact for
// those without records. The directory is called once.
func MatchParticipants(ctx context.Context, dir Directory, a *Account, participants []deskmail.Address) ([]ParticipantMatch, error) {
	out := make([]ParticipantMatch, 0, len(participants))
	idx := make(map[string]int, len(participants))
	keys := make([]string, 0, len(participants))
	for _, p := range participants {
		if p.Domain == "" {
			continue
		}
		if _, own := a.Owns(p, ""); own {
			continue
		}
		k := p.Key()
		if _, dup := idx[k]; dup {
			continue
		}
		idx[k] = len(out)
		out = append(out, ParticipantMatch{Address: k})
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return out, nil
	}
	found, err := dir.FindContacts(ctx, a.ID, keys)
	if err != nil {
		return nil, err
	}
	for _, c := range found {
		k := deskmail.CanonicalKey(c.Address)
		if i, ok := idx[k]; ok {
			c.Address = k
			out[i].Contacts = append(out[i].Contacts, c)
		}
	}
	return out, nil
}

// ReplyPrivate reports whether an agent's reply is private: always
// when the thread was forwarded in (forwarded threads stay private whatever
// the setting), else when Settings.AutoPrivate is on and none of the
// recipients (To, Cc, Bcc) is the ticket's contact, compared by canonical
// key and without sub-address tags.
func (a *Account) ReplyPrivate(contact deskmail.Address, recipients []deskmail.Address, forwardedThread bool) bool {
	if forwardedThread {
		return true
	}
	if !a.Settings.AutoPrivate {
		return false
	}
	ck := contact.Base("").Key()
	for _, r := range recipients {
		if r.Base("").Key() == ck {
			return false
		}
	}
	return true
}
