// Package relay is the outbound path of a helpdesk: relay servers per
// sending domain and mail kind, daily caps shared with the plan's total,
// fallback to the platform's own transport, a failure breaker, and an SMTP
// transport whose every stage is bounded by the context.
//
// # Configuration (R1–R4, R9, R13)
//
// A Config holds an account's Plan and its Relays. A Relay serves one
// sending (From) domain: host, port (25, 465, 587), Security (implicit TLS,
// STARTTLS, none), certificate verification (on unless InsecureSkipVerify
// for that relay), authentication (none; PLAIN or LOGIN with a password;
// XOAUTH2 or OAUTHBEARER with an OAuth token), the Kinds it carries, a
// DailyCap and Disabled. Config.Validate checks all of it and the plan's
// limits (5 domains, 3 relays per domain unless the plan says otherwise)
// and returns every problem as a *ConfigError (errors.Is ErrInvalidConfig;
// plan limits also ErrPlanLimit). The host keeps configurations and hands
// them over through a ConfigSource (Configs is a map-backed one).
//
// Credentials are never part of a Config. The transport asks the host's
// PasswordSource or TokenSource when it connects; tokens are cached until a
// minute before they expire and dropped when the server rejects them, so a
// refreshing source gets called again. No password or token ever appears
// in an error, a log line or a ProbeResult; the tests grep for them.
//
// # Routing (R5–R8)
//
// Router is a deskmail.Transport (Middleware wraps the platform transport
// instead). For each message it:
//
//  1. takes the From domain (Envelope.HeaderFrom, else the From header) and
//     the kind (empty is KindReply);
//  2. walks the account's relays in order, skipping disabled ones, other
//     domains and kinds, and relays whose breaker is open or that
//     reported their quota used up today;
//  3. reserves units with one atomic Store.Reserve covering the relay's
//     cap and the plan's daily total; a relay at its cap is skipped (R5);
//     with no relay left the units are reserved on the platform path; when
//     the plan total is used up the send fails with a *LimitError (R6);
//  4. sends. Recipients the relay could not take because of a relay fault
//     (connection, DNS, TLS, AUTH, a 4xx, relaying denied) or a quota reply
//     (550 5.4.5 and the like) go through the platform (R7); their relay
//     units move to the platform path. Recipients it rejected for good
//     (5.1.x and the like) are StatusRejected and never resent. Once the
//     server has the message data, the message is never sent again: a
//     connection lost after DATA leaves the recipients StatusUnknown.
//     Units of recipients nobody took are refunded.
//  5. feeds the breaker: a send with no recipient taken because of faults
//     is a strike; 3 consecutive strikes in a day open the breaker until the
//     next day and the Notifier is called once (R8). A quota reply marks
//     the relay exhausted for the day without a strike.
//
// Units are recipients (Config.CountMessages counts messages), per calendar
// day in Config.Location, on the injected clock.
//
// # Store
//
// Store keeps the day counters and breaker states. Every method is one
// atomic operation with plain data arguments (no callbacks), so a SQL store
// implements each as one statement or one short transaction: with a row
// per (account, day, relay) and the empty relay ID holding the plan total,
// Reserve is two conditional upserts ("INSERT … ON CONFLICT DO UPDATE
// SET n = n + $n WHERE n + $n <= $cap RETURNING n"), the plan row first,
// in one transaction rolled back when either returns no row; RecordOutcome is one
// upsert returning the new state. NewMemoryStore is the in-process
// default, sharded by account; the relaytest package holds the conformance
// suite every Store passes.
//
// # Transport
//
// Dialer.Transport sends through one relay with go-smtp's client. Every
// stage — connect, greeting, STARTTLS, AUTH, each command, DATA and the
// final reply — is bounded by the context: deadlines on the connection
// follow the context's deadline (go-smtp's own run to minutes), and the
// connection is closed when the context is cancelled. Failures are *Error
// values carrying the Stage, the Class and the server's Reply. Classify
// maps a reply at a stage to ClassOK, ClassBounce, ClassQuota, ClassFault;
// a lost connection after the data is ClassUnknown. STARTTLS is never
// skipped: a server that does not offer it is a TLS fault.
//
// # Return paths (B8, R12)
//
// Relay.ReturnPath picks the MAIL FROM on a relay route: the platform's
// VERP address (a VERPSigner, such as the bounce package's; the message is
// then sent as one envelope per recipient), the From address, or a fixed
// bounce address. What a choice does to SPF and DMARC (R12) is not
// restated here: the sender-authentication package's Explain evaluates it
// with real DNS. The platform route keeps the envelope as given: the
// host's platform transport (or the compose package's Sender) applies its
// own return path.
//
// # Identity servers (A8, R13)
//
// A Relay with Identity set is a sender identity's own SMTP server, with a
// password, an app password (both PLAIN or LOGIN through the
// PasswordSource) or an OAuth token (XOAUTH2 through the TokenSource),
// and DailyCap as that server's own sending limit. Mail whose From is
// that address goes through it or not at all: over its limit, or with its
// breaker open, Send fails with ErrIdentityUnavailable; recipients it
// could not take stay StatusDeferred, since the platform cannot send as
// an address it has not verified. A permanent AUTH refusal (535) calls
// Options.AuthFailed, so the host marks the identity as needing
// re-authentication. Identity relays do not count toward the plan's relay
// limits.
//
// # Persistence
//
// Config, Relay, Plan, Route, Reservation, Usage, BreakerState,
// ProbeResult, Reply, ConfigError, LimitError and Error have explicit
// snake_case JSON keys. Config.Location travels as its IANA name
// ("location": "Asia/Tokyo"), so a zone must be one time.LoadLocation
// knows (Validate refuses fixed zones). Token's access token is never
// serialised. Host callbacks (ConfigSource, PasswordSource, TokenSource,
// Notifier, AuthNotifier) take a context and return an error.
//
// # Probe and allow-lists (R14, R11)
//
// Dialer.Probe connects, negotiates TLS and authenticates, and returns a
// ProbeResult with the failed stage, the reply and a sentence for the
// admin. CIDRSet holds the platform's source ranges on net/netip, answers
// membership and prints the matching SPF ip4:/ip6: terms.
//
// # Choices
//
//   - A 5.7.1 at RCPT is read as "relaying denied" (a fault, so the
//     platform tries), as relays use it for that far more often than for a
//     recipient's policy.
//   - A 5xx after DATA is a bounce for every accepted recipient unless it is
//     about authentication, relaying or quota.
//   - A partly accepted message is not a breaker strike.
//   - The memory store keeps only each account's current day.
package relay
