// Package alias knows an account's support addresses, departments, sender
// identities and channel settings, and answers the questions the inbound
// and outbound paths ask about them: which support address, account and
// department an inbound mail was sent to; whether it came through a
// customer-owned forwarding address; which From and Cc a reply carries;
// whether a sender is one of the account's own addresses; whether a fetch
// source must be disabled; and whether a mail is a forwarding confirmation.
//
// Feature ids (A1–A15, T2–T4) refer to FEATURES.md.
//
// # Data model
//
// An Account holds Departments, SupportAddresses, Identities and Settings as
// plain data. Its methods (AddAddress, DeleteAddress, SetDefault, AddIdentity
// …) enforce the product rules and are meant to run inside
// Store.UpdateAccount, which applies them atomically and re-checks the
// invariants with Account.Validate:
//
//   - the last support address of an account cannot be deleted, and there is
//     exactly one default address, which cannot be deleted or disabled (A5);
//   - a support address's department applies only when the account has more
//     than one department; with one department every mail goes to it (A4);
//   - an address (Address or PlatformAddress) belongs to one account only,
//     so a platform address identifies its account (A2).
//
// Addresses are stored as canonical keys (deskmail.Address.Key: local part
// folded to lower case, domain in lower-case A-labels), so
// "Support@Bücher.example" and "support@xn--bcher-kva.example" are one.
//
// A customer-owned support address (support@company.example) has a
// PlatformAddress, the platform address it forwards to; routing matches
// either. A platform-only address has no PlatformAddress.
//
// # Routing
//
// Router.Route takes the envelope recipients and the parsed header (the
// Header interface: a go-message *textproto.Header, net/textproto.MIMEHeader
// or MailHeader) and returns a Route: account, support address, effective
// department, how it matched, the sub-address tag, whether it came through a
// customer-owned forward, and a drop reason for a disabled address (A6) or
// a Gmail forwarding confirmation (A3). The
// trust order is envelope, X-Original-To, Delivered-To, X-Forwarded-To, To,
// Cc; the account is that of the most trusted match, and within it the
// first enabled address wins (see Router for the exact rule). Each candidate
// costs one Store.Lookup by canonical key (and one more without its
// sub-address tag), so routing time does not grow with the number of
// stored addresses; the header is scanned without a full address parser
// when its lists are simple. A go-message header (*textproto.Header,
// *message.Header, *mail.Header) is read in one pass over its fields
// without copying values, and a MemoryStore's entries are read in place
// rather than copied, so routing a typical mail allocates once (its
// Matches) and takes about a microsecond against 10,000 addresses.
//
// # Identities and outbound
//
// Identities go pending → verified by a signed, expiring link (Verifier,
// built on internal/token); a resend increments the identity's sequence
// number and so invalidates older links. An identity may carry its own SMTP
// server settings (SMTPServer: a credential reference, never the secret);
// a login failure after a password change makes it failed until it
// re-authenticates (A8). Account.Sender picks the From and Cc of a reply
// (A7, A9, A10): a verified identity of the department, then one for any
// department, else the default support address; the agent's name as display
// name when that setting is on; the department's support address as Cc when
// auto-CC is on. Display names are quoted or RFC 2047 encoded by
// deskmail.FormatName, so Japanese names are safe in the header.
//
// # Fetch health
//
// HealthPolicy.Record and HealthMonitor count consecutive failures per fetch
// source (A13): 10 authentication failures or 50 connection failures
// disable the source (seed 001), certificate failures are their own kind
// (limit: the connection limit unless set), a success resets the counts, and
// only new credentials (Reenable, HealthMonitor.CredentialsChanged) enable a
// disabled source again.
//
// # Forwarding verification
//
// ForwardingCheck issues a signed token to send to a customer-owned address
// and recognizes it when it arrives back through the platform (A3).
// ParseConfirmation recognizes Gmail's forwarding-confirmation mail (sender
// forwarding-noreply@google.com, "(#code)" in a subject in any language) and
// extracts the code and confirmation link. Neither kind of mail may become a
// ticket; the inbound pipeline checks for them before routing.
//
// # Helpers for the pipeline
//
// Account.Owns says whether a sender is one of the account's identities,
// support or platform addresses: a mail from one of them is an outgoing
// copy (A14). MatchParticipants looks the other participants up in the
// host's Directory (A15).
//
// # Stores
//
// Store has five methods: Account, UpdateAccount (read-modify-write in one
// transaction), Lookup (the only method not scoped to an account: routing
// discovers the account from the address), FetchHealth and
// UpdateFetchHealth. A database store should also implement BatchLookup,
// so that routing one mail costs one query rather than one per candidate
// address. NewMemoryStore is the in-memory implementation (per-key lookups
// are cheaper in memory than building a batch); aliastest.TestStore is the
// conformance suite every implementation runs.
package alias
