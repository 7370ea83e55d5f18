// Package bounce classifies every delivery failure a helpdesk sees and keeps
// what the failures mean for each address and account.
//
// It covers FEATURES.md B1–B10: delivery reports (RFC 3464, RFC 6533),
// complaints (ARF, RFC 5965), the non-standard bounces of real MTAs and
// providers, SMTP replies at send time, VERP return paths, per-address
// block state, delivery status per message and recipient, and the account
// bounce-rate gate.
//
// # Classifying
//
// Parse reads one mail and returns a Report: whether it is a failure, a
// delay, a delivery success, a complaint, an auto-reply or none of these
// (Kind); for each recipient the address, RFC 3464 action, enhanced status
// code (RFC 3463), SMTP reply code, diagnostic, remote MTA, the SMTP command
// it answered, a Reason and a Severity; and what the report carries of the
// original message: Message-ID, From, To, Subject and Date, read in one pass,
// and the raw header, which Original.Header parses with go-message on
// demand.
//
// Parse reads the header once with go-message's textproto, walks the MIME
// tree without copying more than it decodes, and reads at most MaxBytes
// (DefaultMaxBytes, 256 KiB) of any input: a report puts the failure before
// the returned message, so a 20 MB bounce costs the same as a small one.
// Line endings may be LF, CRLF or CR. The work is linear in the bytes read:
// a report yields at most 500 recipients and 64 MIME parts. Reports whose delivery-status part is
// missing or broken, and the prose bounces of qmail, Exim, Sendmail, Postfix,
// Exchange, Domino, Gmail, Yahoo, mobile carriers and others, are read by
// scanning their text for the lines that name recipients and SMTP replies.
// Auto-replies (Auto-Submitted: auto-replied, X-Autoreply, vacation
// subjects) are KindVacation and delivery notices KindDelivery: neither is a
// failure.
//
// ClassifyReply applies the same taxonomy to a reply seen while sending:
// code, enhanced code and text.
//
// # Reasons
//
// Reasons use sisimai's taxonomy names, so results compare with the
// established tool (the test suite scores Parse against sisimai's verdicts on
// sisimai's own corpus). A reason is decided from the diagnostic text (an
// ordered table of phrases, first match wins), the enhanced status code (a
// specific code such as 5.1.1 or 5.2.2 wins over generic wording), the SMTP
// command the failure answered (an unknown user after DATA is a filter's
// rejection, "filtered"; a refusal of MAIL FROM is "rejected"), and the
// Action field. When a report carries no enhanced code, Status is sisimai's
// pseudo code for the reason, such as 5.0.911 for userunknown (PseudoStatus).
//
// # Severity
//
// A Policy maps a reason to hard, soft or none; DefaultPolicy follows the
// seeds (B1) and a host replaces it with its own Policy, PolicyFunc or
// PolicyMap. The defaults:
//
//	hard  userunknown   no such user
//	hard  hostunknown   no such domain
//	hard  hasmoved      the mailbox moved away
//	hard  notaccept     the domain accepts no mail (null MX)
//	hard  blocked       the receiving server blocks delivery
//	hard  rejected      the receiving server refuses the sender
//	hard  filtered      the recipient's filter refuses the mail
//	hard  norelaying    the server will not relay for the domain
//	hard  suspend       the mailbox is disabled
//	soft  mesgtoobig    too large
//	soft  exceedlimit   over a size or recipient limit
//	soft  mailboxfull   mailbox full
//	soft  systemfull    the receiving system is full
//	soft  networkerror  server unreachable, DNS or routing failure
//	soft  expired       too slow: delivery gave up after retrying
//	soft  toomanyconn   too many connections
//	soft  speeding      rate limited
//	soft  systemerror   an error at the receiving system
//	soft  mailererror   the local delivery program failed
//	soft  onhold        not decided yet
//	soft  undefined     not known
//	soft  securityerror authentication or security requirement not met
//	soft  authfailure   SPF, DKIM or DMARC failed
//	soft  badreputation the sender's reputation
//	soft  requireptr    the sending host lacks reverse DNS
//	soft  spamdetected  judged to be spam
//	soft  virusdetected a virus was found
//	soft  contenterror  the content was refused
//	soft  policyviolation a local policy refused it
//	soft  failedstarttls TLS could not be negotiated
//	soft  syntaxerror   an SMTP syntax error
//	soft  notcompliantrfc the message violates RFC 5322
//	none  delivered     delivered
//	none  vacation      an auto-reply
//	none  feedback      a complaint
//
// Failures about the message or the sender's own infrastructure are soft on
// purpose: they do not say the address is bad. A host that suppresses
// complainers maps feedback to hard.
//
// # Attribution (B6, B10)
//
// A bounce is acted on only when it is tied to a message we sent, so a
// forged bounce cannot block an address. VERP makes reverse-paths
// PREFIX-TOKEN@BOUNCE-DOMAIN whose token is the lower-case base32 of
// (account, recipient, Message-ID) and an HMAC from an internal/token
// keyring (rotation: new secret first, old ones after). Its method
// ReturnPath(account, recipient, messageID) is what the relay package plugs
// in. Tracker.Attribute accepts a report when an address it was delivered to
// (Delivered-To, X-Original-To, Envelope-To, To) carries a verified token,
// or when the returned message's Message-ID is one of ours according to
// Options.OwnMessage — a func the host wires to the threading package, which
// this package does not import. The Attribution names the account and the
// original message (and the host's reference for it), so the host shows the
// bounce on its ticket. With a VERP token only the recipient it names is
// affected. RFC 5321 limits a local part to 64 octets; VERP local parts are
// longer for long Message-IDs, which the receiving MTAs of bounce domains
// (Postfix, Exim, the providers) accept; ReturnPath fails with ErrTooLong
// only past the 254-octet path limit.
//
// # State (B2–B5, B7)
//
// A Tracker keeps, per account and address, a State (ok, soft_blocked,
// hard_blocked), the consecutive soft count, the last reason and an event
// trail (Options.MaxEvents, 50). A hard bounce blocks for good (B2). A soft
// bounce allows Options.SoftSends (5) more sends and the
// Options.SoftToHard-th (5th) consecutive soft bounce blocks hard; a delivery
// resets the count (B3). Unblock lifts a soft block and refuses a hard one
// with ErrHardBlocked; AdminUnblock, for administrators only, lifts both
// (B4). Record and Apply store the delivery status of each message and
// recipient, which Deliveries returns (B7).
//
// The account bounce-rate gate (B5) is hard bounces over sends in a rolling
// window of Options.Window (7 days, counted in whole UTC days), judged only
// from Options.MinVolume (100) sends: at WarnRate (5%) the level is warn, at
// BlockRate (10%) blocked. While blocked, notifications
// (deskmail.KindNotification) are refused and ticket replies are not;
// SetExempt, for administrators, exempts an account.
//
// Tracker.Middleware is the outbound gate, a deskmail.Middleware: it drops
// blocked recipients with deskmail.StatusDropped and a Reason (hard_blocked,
// soft_blocked, account_bounce_rate), sends the rest through the wrapped
// Transport, and records sends, deliveries and send-time rejections
// (classified with ClassifyReply) from its Result.
//
// # Stores
//
// Store is the persistence contract: Update(ctx, account, address, fn) for
// the address state (one transaction), PutDelivery/Deliveries for delivery
// status, AddCounts/Counts for per-day counters (single UPSERT statements),
// and UpdateAccount/GetAccount for gate settings. NewMemoryStore is the
// embedded default; bouncetest.TestStore is the conformance suite every
// implementation runs.
//
// # Dependencies
//
// go-message (textproto) and golang.org/x/text (charsets of non-UTF-8
// reports) only.
package bounce
