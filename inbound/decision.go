package inbound

import (
	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/forward"
	"github.com/deskmail/deskmail/inbound/allow"
	"github.com/deskmail/deskmail/senderauth"
)

// Action is what the host does with a mail.
type Action string

// The actions of a Decision.
const (
	// ActionNewTicket: open a ticket for Decision.Contact.
	ActionNewTicket Action = "new_ticket"
	// ActionAppend: add the mail to Decision.Ticket (privately when
	// Decision.Private is set).
	ActionAppend Action = "append"
	// ActionSuspend: hold the mail for review (sender authentication
	// failed, or the mail could not be read). Decision.Held says what the
	// mail would have become; an agent who recovers it applies that.
	ActionSuspend Action = "suspend"
	// ActionDrop: do not file the mail; Decision.Reasons say why (our own
	// mail looping back, a duplicate, a disabled address, a bounce that is
	// not about our mail or was applied before, no support address).
	ActionDrop Action = "drop"
	// ActionBounce: a delivery report about a message we sent was applied to
	// the bounce state; show it on Decision.Ticket.
	ActionBounce Action = "bounce_processed"
	// ActionConfirmation: a forwarding confirmation, never a ticket:
	// show Decision.Confirmation to the account's administrator, or record
	// Decision.Address as verified for a platform check mail.
	ActionConfirmation Action = "confirmation"
	// ActionOutgoingCopy: a copy of mail one of the account's own
	// addresses sent from another client: file it against
	// Decision.Contact (and Decision.Ticket when it threads), not as a new
	// ticket.
	ActionOutgoingCopy Action = "outgoing_copy"
)

// The reason codes a Decision may carry. Codes are stable; texts may change.
const (
	CodeMalformed            = "malformed"             // the header could not be read
	CodeTooLarge             = "too_large"             // the mail exceeds Options.MaxBytes
	CodeAuthPass             = "auth_pass"             // DMARC passed through an aligned SPF or DKIM pass
	CodeARCTrusted           = "arc_trusted"           // DMARC passed on a trusted ARC sealer's recorded pass
	CodeAuthFail             = "auth_fail"             // DMARC failed under quarantine or reject: suspended
	CodeAuthFailPolicyNone   = "auth_fail_policy_none" // DMARC failed, the policy applied is none: accepted, unauthenticated
	CodeAuthNone             = "auth_none"             // no DMARC policy for the From domain: accepted, unauthenticated
	CodeAuthTempError        = "auth_temperror"        // DNS failed; the mail is held for review
	CodeAuthPermError        = "auth_permerror"        // authentication failed permanently (unreadable mail, broken records)
	CodeAuthSkipped          = "auth_skipped"          // Options.SkipAuth, or no client IP (fetched mail): unauthenticated
	CodeAuthTrusted          = "auth_trusted"          // Options.Trusted: the host authenticated the path
	CodeAuthAllowed          = "auth_allowed"          // an allow entry lifted the suspension (package allow)
	CodeRecovered            = "recovered"             // Recover lifted the suspension
	CodeAgentUnauthenticated = "agent_unauthenticated" // an agent's or the account's own address, unauthenticated: no privileges
	CodeForwardingCheck      = "forwarding_check"      // our own forwarding-check mail came back
	CodeConfirmation         = "forwarding_confirm"    // a provider's forwarding confirmation
	CodeBounce               = "bounce"                // a report about our mail was applied
	CodeBounceNotOurs        = "bounce_not_ours"       // a report about no mail of ours: forged or stray
	CodeBounceReplayed       = "bounce_replayed"       // the same report again: applied before, nothing changed, dropped
	CodeBounceIgnored        = "bounce_ignored"        // addresses a report named but did not change, with why
	CodeBounceNoTracker      = "bounce_no_tracker"     // a report, and no Options.Bounces to apply it
	CodeLoop                 = "loop"                  // our own mail came back
	CodeAutoReply            = "auto_reply"            // automatic mail: no auto-response
	CodeNoRoute              = "no_route"              // no support address matches
	CodeAddressDisabled      = "address_disabled"      // fetching is off for the address
	CodeRouted               = "routed"                // the support address and department
	CodeViaForward           = "via_customer_fwd"      // arrived through a customer-owned address
	CodeOutgoingCopy         = "outgoing_copy"         // From is one of the account's addresses
	CodeAgentForward         = "agent_forward"         // an agent forwarded a customer's mail
	CodeDuplicate            = "duplicate"             // the Message-ID is already on a ticket
	CodeThreaded             = "threaded"              // joined an existing ticket
	CodeNewTicket            = "new_ticket"            // no ticket matched
	CodeStranger             = "stranger"              // joined through headers, sender not a participant
	CodePrivateReply         = "private_reply"         // an agent's reply that leaves out the customer
	CodePrivateForwarded     = "private_forwarded"     // a forwarded thread is private
	CodeNoSender             = "no_sender"             // neither From nor Sender holds an address
)

// Decision is the pipeline's answer for one mail. The host applies it: the
// pipeline never writes host data.
type Decision struct {
	// Recipients are the envelope recipients the decision is for: all of
	// them from Process, one account's from ProcessAll (a delivery report,
	// applied once, covers the groups after it too).
	Recipients []string `json:"recipients,omitempty"`
	// Action is what to do.
	Action Action `json:"action"`
	// Held is the action the mail would have had, when Action is
	// ActionSuspend (a suspended mail can be recovered).
	Held Action `json:"held,omitempty"`
	// Account is the tenant, "" when unknown (no route).
	Account string `json:"account,omitempty"`
	// Address is the support address the mail was sent to (its
	// customer-visible Address), and Department its effective department.
	Address    string `json:"address,omitempty"`
	Department string `json:"department,omitempty"`
	// Route is the full routing answer, nil before routing.
	Route *alias.Route `json:"route,omitempty"`
	// Contact is who the mail is for on the helpdesk side: the sender,
	// the original sender of an agent's forward, the first outside
	// recipient of an outgoing copy, or the bounced recipient.
	Contact deskmail.Address `json:"-"`
	// ContactAddr is Contact's addr-spec, for JSON.
	ContactAddr string `json:"contact,omitempty"`
	// ContactName is Contact's display name.
	ContactName string `json:"contact_name,omitempty"`
	// From is the author of the mail (From, else Sender).
	From deskmail.Address `json:"-"`
	// ReplyTo holds the Reply-To addresses, when the mail has them: answers
	// go there rather than to From.
	ReplyTo []deskmail.Address `json:"-"`
	// Participants are the mail's addresses other than the account's own,
	// with the host's records for each. Nil without a Directory.
	Participants []alias.ParticipantMatch `json:"participants,omitempty"`
	// Agent is set when the sender is one of the account's active agents
	// and its From is authenticated (see Authenticated); an agent's address
	// that is not authenticated is a customer's, with the reason
	// agent_unauthenticated.
	Agent bool `json:"agent,omitempty"`
	// Authenticated is set when the From is authenticated: DMARC passed
	// through an aligned SPF or DKIM pass (or a trusted ARC sealer's
	// recorded pass), or the pipeline's path is Options.Trusted. Only an
	// authenticated sender gets an agent's privileges.
	Authenticated bool `json:"authenticated"`
	// Ticket is the host's ticket id for ActionAppend, ActionBounce and a
	// threaded outgoing copy.
	Ticket string `json:"ticket,omitempty"`
	// Thread is how the ticket was found: the threading method and
	// its reason.
	Thread *ThreadInfo `json:"thread,omitempty"`
	// Private makes the mail a private note (private replies, forwarded threads, strangers).
	Private bool `json:"private"`
	// AutoReply is the auto-reply and loop detection.
	AutoReply autoreply.Result `json:"auto_reply"`
	// NoAutoResponse is set when the host must not answer the mail
	// automatically (automatic mail, suspended mail, bounces).
	NoAutoResponse bool `json:"no_auto_response"`
	// Auth is the sender-authentication verdict with its
	// Authentication-Results value; nil when authentication did not
	// run (Options.SkipAuth, a trusted path).
	Auth *senderauth.Verdict `json:"auth,omitempty"`
	// AuthenticationResults repeats Auth.AuthenticationResults, ready to be
	// prepended as a header field of the stored mail.
	AuthenticationResults string `json:"authentication_results,omitempty"`
	// Forward is the forwarded original of an agent's forward.
	Forward *forward.Forward `json:"forward,omitempty"`
	// Confirmation is a provider's forwarding confirmation.
	Confirmation *alias.Confirmation `json:"confirmation,omitempty"`
	// ConfirmationTrusted is set when the confirmation carries a valid
	// DKIM signature aligned with the provider's domain, so its link may
	// be followed automatically.
	ConfirmationTrusted bool `json:"confirmation_trusted,omitempty"`
	// Bounce is what was applied for a delivery report.
	Bounce *bounce.Applied `json:"bounce,omitempty"`
	// Report is the parsed delivery report, when the mail was one.
	Report *bounce.Report `json:"-"`
	// MessageID is the mail's Message-ID without angle brackets.
	MessageID string `json:"message_id,omitempty"`
	// Subject is the decoded subject.
	Subject string `json:"subject,omitempty"`
	// Recovered is set on the Decision of Recover when it lifted a
	// suspension.
	Recovered bool `json:"recovered,omitempty"`
	// Allow is the allow entry Recover recorded, or the one that kept the
	// mail from being suspended (reason auth_allowed).
	Allow *allow.Entry `json:"allow,omitempty"`
	// Reasons explain the decision, in the order the steps ran. Every
	// text quoting the mail is sanitised (deskmail.Sanitize).
	Reasons []deskmail.Reason `json:"reasons"`

	auth   authFacts // what the verdict says, for privileges and suspension
	noAuto bool      // never answer automatically (the account's own From)
}

// ThreadInfo is how a mail was matched to a ticket.
type ThreadInfo struct {
	Method string          `json:"method"`
	Reason deskmail.Reason `json:"reason"`
	// Stranger: joined through its headers, but the sender is not a
	// participant of the ticket.
	Stranger bool `json:"stranger,omitempty"`
	// Notes are evidence seen and rejected (a forged token, a ticket
	// number from a sender the policy refuses).
	Notes []deskmail.Reason `json:"notes,omitempty"`
}

// Why returns the reason with code, or the zero Reason.
func (d *Decision) Why(code string) (deskmail.Reason, bool) {
	for _, r := range d.Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return deskmail.Reason{}, false
}

// add appends a reason. Texts are sanitised once more here, whole and
// without a length bound, so that no control character from a mail can
// reach a Reason whichever step quoted it.
func (d *Decision) add(code, text string) {
	d.Reasons = append(d.Reasons, deskmail.Reason{Code: code, Text: deskmail.SanitizeN(text, 0)})
}

func (d *Decision) setContact(a deskmail.Address) {
	d.Contact = a
	d.ContactAddr = ""
	d.ContactName = a.Name
	if a.Local != "" {
		d.ContactAddr = a.Addr()
	}
}
