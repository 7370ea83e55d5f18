// Package alias knows an account's support addresses, departments, sender
// identities and channel settings, and answers the questions the inbound
// and outbound paths ask about them: which support address, account and
// department an inbound mail was sent to; whether it came through a
// customer-owned forwarding address; which From and Cc a reply carries;
// whether a sender is one of the account's own addresses; whether a fetch
// source must be disabled; and whether a mail is a forwarding confirmation.
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
//     exactly one default address, which cannot be deleted or disabled;
//   - a support address's department applies only when the account has more
//     than one department; with one department every mail goes to it;
//   - an address (Address or PlatformAddress) belongs to one account only,
//     so a platform address identifies its account.
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
// Router.Route takes the envelope recipients and the parsed header (a
// deskmail.Header: a go-message *textproto.Header, net/textproto.MIMEHeader
// or deskmail.MailHeader) and returns a Route: account, support address,
// effective department, how it matched, the sub-address tag, whether it
// came through a customer-owned forward, and a drop reason for a disabled
// address or a Gmail forwarding confirmation. The trust order is envelope,
// X-Original-To, Delivered-To, X-Forwarded-To, To, Cc; the account is that
// of the most trusted match, and within it the first enabled address wins
// (see Router for the exact rule). Every address list is parsed with
// deskmail.ParseAddressList, and the store is asked once per mail
// (Store.LookupKeys) for every candidate's canonical key and its key
// without the sub-address tag, so routing time does not grow with the
// number of stored addresses: about 9 µs per typical mail against 100,000
// addresses in memory.
//
// # Identities and outbound
//
// Identities go pending → verified by a signed, expiring link (Verifier,
// signed with a deskmail.Keyring); a resend increments the identity's sequence
// number and so invalidates older links. An identity may carry its own SMTP
// server settings (SMTPServer: a credential reference, never the secret);
// a login failure after a password change makes it failed until it
// re-authenticates. Account.Sender picks the From and Cc of a reply: a
// verified identity of the department, then one for any
// department, else the default support address; the agent's name as display
// name when that setting is on; the department's support address as Cc when
// auto-CC is on. Display names are quoted or RFC 2047 encoded by
// deskmail.FormatName, so Japanese names are safe in the header.
//
// # Fetch health
//
// HealthPolicy.Record and HealthMonitor count consecutive failures per fetch
// source: 10 authentication failures or 50 connection failures in a row
// disable the source, certificate failures are their own kind
// (limit: the connection limit unless set), a success resets the counts, and
// only new credentials (Reenable, HealthMonitor.CredentialsChanged) enable a
// disabled source again.
//
// # Forwarding verification
//
// ForwardingCheck issues a signed token to send to a customer-owned address
// and recognizes it when it arrives back through the platform.
// ParseConfirmation recognizes Gmail's forwarding-confirmation mail (sender
// forwarding-noreply@google.com, "(#code)" in a subject in any language) and
// extracts the code and confirmation link. Neither kind of mail may become a
// ticket; the inbound pipeline checks for them before routing.
//
// # Helpers for the pipeline
//
// Account.Owns says whether a sender is one of the account's identities,
// support or platform addresses: a mail from one of them is an outgoing
// copy. MatchParticipants looks the other participants up in the host's
// Directory.
//
// # Stores
//
// Store has six methods: Account, UpdateAccount (read-modify-write in one
// transaction), Lookup and LookupKeys (the only methods not scoped to an
// account: routing discovers the account from the address; LookupKeys
// answers one mail's candidates in one query), FetchHealth and
// UpdateFetchHealth. NewMemoryStore is the in-memory implementation;
// aliastest.TestStore is the conformance suite every implementation runs.
package alias
