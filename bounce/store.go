package bounce

import (
	"context"
	"errors"
	"slices"
	"time"
)

// ErrNotFound is returned by Store reads when there is no such record.
var ErrNotFound = errors.New("bounce: not found")

// State is the blocking state of one address of one account.
type State string

// The address states (B2–B4).
const (
	StateOK          State = "ok"           // may be sent to
	StateSoftBlocked State = "soft_blocked" // soft bounced: a few more sends are allowed
	StateHardBlocked State = "hard_blocked" // hard bounced: blocked until an administrator lifts it
)

// EventType names an entry of an address's event trail.
type EventType string

// The event types.
const (
	EventSent           EventType = "sent"            // a send was allowed
	EventDelivered      EventType = "delivered"       // the address accepted a message
	EventSoftBounce     EventType = "soft_bounce"     // a soft failure
	EventHardBounce     EventType = "hard_bounce"     // a hard failure, or the soft limit reached
	EventComplaint      EventType = "complaint"       // the recipient complained (ARF)
	EventDropped        EventType = "dropped"         // a send was refused by the gate
	EventUnblocked      EventType = "unblocked"       // the account lifted a soft block
	EventAdminUnblocked EventType = "admin_unblocked" // an administrator lifted a block
	EventReceived       EventType = "received"        // mail came from the address: evidence of delivery (B3)
	EventNoBounce       EventType = "no_bounce"       // a send raised no bounce within Options.DeliveryWindow (B3)
)

// Event is one entry of an address's trail.
type Event struct {
	At        time.Time `json:"at"`
	Type      EventType `json:"type"`
	Reason    Reason    `json:"reason,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	// Detail is the diagnostic, or who unblocked the address.
	Detail string `json:"detail,omitempty"`
}

// AddressState is what the store keeps per account and address.
type AddressState struct {
	Account string `json:"account"`
	Address string `json:"address"`
	State   State  `json:"state"`
	// SoftCount is the number of consecutive soft bounces.
	SoftCount int `json:"soft_count"`
	// SendsLeft is how many more sends a soft-blocked address allows.
	SendsLeft int `json:"sends_left"`
	// LastReason is the reason of the last bounce.
	LastReason Reason    `json:"last_reason,omitempty"`
	Updated    time.Time `json:"updated"`
	// Events is the trail, oldest first, at most Options.MaxEvents long.
	Events []Event `json:"events,omitempty"`
	// Pending lists the sends made since the address's last soft bounce
	// whose outcome is not known yet, oldest first (B3). A pending send
	// older than Options.DeliveryWindow that raised no bounce is evidence
	// of delivery.
	Pending []PendingSend `json:"pending,omitempty"`
	// Seen holds the idempotency keys of the outcomes already applied to
	// the address, oldest first, kept for Options.Retention: a report
	// delivered again is counted once.
	Seen []Seen `json:"seen,omitempty"`
}

// PendingSend is one send to a soft-bounced address whose outcome is not
// known yet (B3).
type PendingSend struct {
	MessageID string    `json:"message_id,omitempty"`
	At        time.Time `json:"at"`
}

// Seen is the idempotency key of one outcome applied to an address: a hash
// of the message, the status and the reason, never the mail's text.
type Seen struct {
	Key string    `json:"key"`
	At  time.Time `json:"at"`
}

// SentMessage is what the send middleware records of one message: the
// recipients it went to (B10). A report may change the state of an
// address only when the address is among the recipients of the message
// the report cites. Records expire after Options.Retention (Prune).
type SentMessage struct {
	// MessageID is the message's Message-ID, without angle brackets.
	MessageID string `json:"message_id"`
	// Recipients are the lower-cased addresses the message went to, in
	// ascending order, without duplicates.
	Recipients []string `json:"recipients"`
	// At is the time of the latest send of the message.
	At time.Time `json:"at"`
}

// Has reports whether address (any case, angle brackets ignored) is one
// of the message's recipients.
func (m SentMessage) Has(address string) bool {
	a := normAddr(address)
	if a == "" {
		return false
	}
	_, ok := slices.BinarySearch(m.Recipients, a)
	return ok
}

// DeliveryStatus is the state of one message for one recipient (B7).
type DeliveryStatus string

// The delivery statuses.
const (
	DeliverySent       DeliveryStatus = "sent"        // handed to the next hop
	DeliveryDelivered  DeliveryStatus = "delivered"   // a delivery report said delivered
	DeliveryDeferred   DeliveryStatus = "deferred"    // temporarily failed, being retried
	DeliverySoftBounce DeliveryStatus = "soft_bounce" // failed softly
	DeliveryHardBounce DeliveryStatus = "hard_bounce" // failed hard
	DeliveryDropped    DeliveryStatus = "dropped"     // not sent: blocked by the gate
	DeliveryComplained DeliveryStatus = "complained"  // the recipient complained
)

// Delivery is the status of one message for one recipient (B7).
type Delivery struct {
	MessageID string         `json:"message_id"`
	Recipient string         `json:"recipient"`
	Status    DeliveryStatus `json:"status"`
	Reason    Reason         `json:"reason,omitempty"`
	// Detail is the diagnostic or the server's reply.
	Detail  string    `json:"detail,omitempty"`
	Updated time.Time `json:"updated"`
}

// AccountState holds an account's gate settings.
type AccountState struct {
	Account string `json:"account"`
	// Exempt is set by an administrator: the bounce-rate gate never blocks
	// the account (B5).
	Exempt  bool      `json:"exempt"`
	Updated time.Time `json:"updated"`
}

// Store keeps bounce state. Every method but PruneSent is keyed by
// account, and accounts never see each other's records. Implementations
// must be safe for concurrent use by many processes: Update, AddCounts and
// AddSent must not lose updates under concurrent writers. The conformance
// suite is bouncetest.TestStore.
type Store interface {
	// Update applies fn to the state of address in account atomically (a
	// transaction with SELECT … FOR UPDATE on SQL) and stores the result,
	// which it returns. A missing record starts as AddressState{Account,
	// Address, State: StateOK}. When fn returns an error nothing is stored
	// and Update returns that error.
	Update(ctx context.Context, account, address string, fn func(*AddressState) error) (AddressState, error)
	// Get returns the state of address, or ErrNotFound.
	Get(ctx context.Context, account, address string) (AddressState, error)
	// PutDelivery stores d, replacing the record of the same message and
	// recipient.
	PutDelivery(ctx context.Context, account string, d Delivery) error
	// Deliveries returns the records of messageID in recipient order, or
	// ErrNotFound when there are none.
	Deliveries(ctx context.Context, account, messageID string) ([]Delivery, error)
	// AddCounts adds sends and hard bounces to the account's counters of the
	// UTC day holding day (a single UPSERT … SET n = n + $1 on SQL).
	AddCounts(ctx context.Context, account string, day time.Time, sends, hardBounces int) error
	// Counts sums the counters of the days from the UTC day holding since up
	// to now.
	Counts(ctx context.Context, account string, since time.Time) (sends, hardBounces int, err error)
	// UpdateAccount applies fn to the account's settings atomically, as
	// Update does; a missing record starts as AccountState{Account}.
	UpdateAccount(ctx context.Context, account string, fn func(*AccountState) error) (AccountState, error)
	// GetAccount returns the account's settings, or ErrNotFound.
	GetAccount(ctx context.Context, account string) (AccountState, error)
	// AddSent adds m.Recipients (lower-cased by the caller) to the record
	// of m.MessageID, creating it, and sets its time to the later of the
	// stored one and m.At: one UPSERT on SQL, so concurrent sends of parts
	// of one message lose no recipient.
	AddSent(ctx context.Context, account string, m SentMessage) error
	// Sent returns the record of messageID with its recipients in
	// ascending order, or ErrNotFound.
	Sent(ctx context.Context, account, messageID string) (SentMessage, error)
	// PruneSent deletes the records, of every account, whose time is
	// before before, and returns how many it deleted.
	PruneSent(ctx context.Context, before time.Time) (int, error)
}

// Day returns the UTC day holding t, the key of the rolling counters.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
