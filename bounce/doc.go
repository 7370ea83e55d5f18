// Package bounce classifies every delivery failure a helpdesk sees and keeps
// what the failures mean for each address and account.
//
// It covers delivery reports (RFC 3464, RFC 6533),
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
// Parse reads the header with go-message's textproto and walks the MIME tree
// with the library's lenient walker (unknown charsets, missing or indented
// boundaries, broken part headers and bad transfer encodings are read as
// well as they can be; HTML parts become text on golang.org/x/net/html's
// tokenizer). It reads at most MaxBytes (DefaultMaxBytes, 256 KiB) of any
// input: a report puts the failure before the returned message, so a 20 MB
// bounce costs the same as a small one. Line endings may be LF, CRLF or CR.
// The work is linear in the bytes read: a report yields at most 500
// recipients and 64 MIME parts, 8 deep.
//
// What a mail is, is decided by structure and evidence, in this order:
//
//  1. a message/feedback-report part: a complaint (ARF);
//  2. a message/delivery-status or message/global-delivery-status part
//     (RFC 3464, RFC 6533): one recipient per Final-Recipient (the
//     Original-Recipient, often a list or alias, only when Final-Recipient
//     is missing), with its Action, Status, Diagnostic-Code and Remote-MTA;
//     Action delivered, relayed or expanded is a delivery notice, delayed a
//     delay;
//  3. an Amazon SES notification;
//  4. a prose report: a null reverse-path or report-writing sender
//     (MAILER-DAEMON, postmaster, Mail Delivery System...), a report subject
//     in one of many languages ("Undeliverable", "Delivery Status
//     Notification", "returned mail", "failure notice", "Unzustellbar",
//     "Non remis", "配信不能"...) or an X-Failed-Recipients field decide;
//     no-reply senders and generic subject words ("error", "failed") count
//     only with a returned message or an SMTP failure code next to an
//     address in the text, and a subject alone only in automatic mail. The
//     text is scanned for the lines that name recipients next to SMTP
//     replies (qmail, Exim, Sendmail, Postfix, old Exchange and Domino
//     notes, Courier, GroupWise, providers, mobile carriers);
//  5. challenge-response requests (Boxbe, "please verify you are a human",
//     whitelist requests) are none of these: KindNone, also when they come
//     as a delivery-status report whose every diagnostic asks the sender
//     to confirm itself ("sender not pre-approved", "confirm this mail
//     server"); a refusal such as "not in whitelist" is still a failure;
//  6. auto-replies (Auto-Submitted: auto-replied, X-Autoreply, vacation
//     subjects) are KindVacation.
//
// A prose report of a temporary (4xx) failure is a delay only when it says
// delivery is still being tried; otherwise the MTA gave up and it is a
// failure. The recipient of a prose report is the address next to the
// error: when the server's reply names another address than the line that
// introduced it (an alias or list expanded to a member, a forward), the
// replied-to address is the one that failed. Addresses keep a quoted local
// part exactly ("john..doe"@example.com, "a b"@example.com).
//
// ClassifyReply applies the same taxonomy to a reply seen while sending:
// code, enhanced code and text.
//
// # Reasons
//
// Reasons use sisimai's taxonomy names, so results compare with the
// established tool (the test suite compares Parse with sisimai's verdicts on
// sisimai's corpus, row by row in golden files). A reason is decided from:
//
//   - the diagnostic text, against phrase tables kept as data: one table per
//     reason, each phrase tagged with the MTA or provider family that writes
//     it (Postfix, Sendmail, Exim, qmail, Exchange and Office 365, Gmail,
//     Yahoo, AOL, Courier, Domino, GroupWise, iCloud, Mail.ru, Yandex...),
//     including the German, French, Japanese, Spanish, Italian, Portuguese,
//     Russian and Chinese texts MTAs emit. A first tier of precise wording
//     names the cause whatever the code; a second tier is tried after it.
//   - the enhanced status code: a specific code (5.1.1, 5.1.2, 5.2.2, 4.4.7,
//     5.7.13...) wins over vague text, while generic codes (x.0.0, 5.5.0,
//     5.7.1, x.1.0) give way to text that names the cause;
//   - the SMTP command the failure answered, from the diagnostic or the
//     report's prose ("in reply to RCPT TO command", "does not like
//     recipient", ">>> MAIL From:"): a refusal of MAIL FROM is "rejected"
//     unless the text names a block; an unknown user outside RCPT TO is a
//     filter's refusal, "filtered", as sisimai reads it;
//   - the Action field: delayed with nothing else is "expired".
//
// "onhold" is returned only when nothing in the text, code or context
// decides, and "undefined" when moreover the report gives no diagnostic
// for the recipient at all (its prose is all there is). A refusal by
// disposition notification (a Sieve reject) that names no cause is
// "filtered". When a report carries no enhanced code, Status is sisimai's
// pseudo code for the reason, such as 5.0.911 for userunknown
// (PseudoStatus).
//
// # Severity
//
// A Policy maps a reason to hard, soft or none. DefaultPolicy (a constant)
// is the built-in policy; a host passes its own Policy, PolicyFunc or
// PolicyMap in ParseOptions and the Tracker's Options. Severity always
// follows from the reason through the policy. The defaults:
//
//	hard  userunknown   no such user
//	hard  hostunknown   no such domain
//	hard  hasmoved      the mailbox moved away
//	hard  notaccept     the domain accepts no mail (null MX)
//	hard  blocked       the receiving server blocks delivery
//	hard  rejected      the receiving server refuses the sender
//	hard  filtered      the recipient's filter refuses the mail
//	hard  norelaying    the server will not relay for the domain
//	soft  suspend       the mailbox is disabled or suspended (it may return)
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
// A bounce is acted on only when it is tied to a message we sent, and then
// only for the addresses that message went to, so a forged bounce cannot
// block an address. Tracker.Attribute accepts a report when an address it
// was delivered to (Delivered-To, X-Original-To, Envelope-To, To) carries
// a verified VERP token, or when the returned message's Message-ID is one
// of ours according to Options.OwnMessage, a MessageOwner the host wires to
// the threading package (inbound.OwnMessage does), which this package does
// not import. OwnMessage takes the call's context; its error makes Apply
// fail with that error (not ErrNotOurs), so the caller can ask for the
// report to be delivered again. The Attribution names the account and the
// original message (and the host's reference for it), so the host shows
// the bounce on its ticket.
//
// VERP makes reverse-paths PREFIX-TOKEN@BOUNCE-DOMAIN; its method
// ReturnPath(account, recipient, messageID) is what the relay package plugs
// in. RFC 5321 (section 4.5.3.1.1) limits a local part to 64 octets, and
// MTAs and anti-spam filters do refuse or mangle longer ones, while a
// helpdesk's Message-IDs are 60–100 octets and its recipients up to 254. So
// the token carries neither in clear. TOKEN is the lower-case base32
// (RFC 4648 alphabet, case-insensitive in practice) of
//
//	1 byte    how the account is encoded (and the format's version)
//	n bytes   the account: a text UUID as its 16 bytes, an even-length
//	          lower-case hex id as its bytes, a decimal id as a big-endian
//	          integer, any other account as its octets
//	6 bytes   SHA-256("m" 0x00 Message-ID)[:6], the message reference
//	4 bytes   SHA-256("r" 0x00 lower-cased recipient)[:4]
//	10 bytes  HMAC-SHA-256 over a domain string and the above, from the
//	          deskmail.Keyring (rotation: new secret first, old ones after)
//
// The local part is 2+ceil(8(21+n)/5) octets: 62 for a UUID account, 55 for
// a 24-hex ObjectID, 42 for "acme", at most 64 for any other account of up
// to 17 octets, whatever the recipient and Message-ID. Longer raw accounts
// give longer local parts, which the MTAs of bounce domains (Postfix, Exim,
// the providers) accept; VERPOptions.MaxLocal set to MaxLocalPart refuses
// them with ErrTooLong instead, and ErrTooLong always guards the 254-octet
// path limit. The account stays in clear because a report that lost the
// returned message must still reach the right account's address state.
//
// Only the MAC protects the token: without the secret nobody can make one
// (B10), and a changed character fails verification (non-canonical base32
// spellings are refused too). The two references are not secret; they only
// need to tell candidates apart. Attribute resolves them against what the
// report and the Store hold:
//
//   - the message: the report's original Message-ID (from the
//     text/rfc822-headers part or the returned message) when it matches the
//     reference; OwnMessage then gives the host's reference. A report
//     without the returned message, or with another Message-ID, leaves
//     Attribution.MessageID empty: the message is unknown.
//   - the recipient: the report's recipient whose address matches the
//     reference; else, for a forwarded or aliased recipient, an address of
//     the original To field or of the message's recorded recipients that
//     matches, provided the report lists a single address that is not
//     itself one of those recipients. A 32-bit reference is ample: it is
//     compared with the handful of addresses one report names, and an
//     attacker cannot choose the token's value.
//
// # What a report may change (B10)
//
// Apply changes the state of an address only when the report proves we
// sent the cited message to it:
//
//   - attributed by Message-ID, the address must be among the recipients
//     the Middleware recorded for that message after sending it
//     (Store.AddSent). Every other address the report lists is left alone
//     and reported in Applied.Ignored with the code bounce_not_recipient;
//     when no record exists (the message is older than Options.Retention,
//     30 days, or was not sent through the Middleware) every address is
//     ignored with bounce_no_send_record.
//   - attributed by VERP, only the recipient the token was made for
//     changes (the signed token is the proof); the other listed addresses
//     are ignored with bounce_verp_recipient_mismatch.
//
// The same report delivered again is counted once: each outcome applied to
// an address leaves an idempotency key in its state (a hash of the message,
// or of the VERP token's message reference, with the status and the
// reason), kept for Options.Retention, and an outcome whose key is there is
// ignored with bounce_duplicate. Reason texts quote addresses and message
// ids through deskmail.Sanitize, and diagnostics are sanitised and cut to
// 300 bytes before they are stored. Tracker.Prune deletes the expired
// recipient records; call it daily.
//
// # State (B2–B5, B7)
//
// A Tracker keeps, per account and address, a State (ok, soft_blocked,
// hard_blocked), the consecutive soft count, the last reason and an event
// trail (Options.MaxEvents, 50). A hard bounce blocks for good (B2). A soft
// bounce allows Options.SoftSends (5) more sends, and the
// Options.SoftToHard-th (5th) CONSECUTIVE soft bounce blocks hard (B3).
// Evidence of delivery between two soft bounces resets the count and lifts
// the soft block:
//
//   - a delivery report (RFC 3464 action delivered);
//   - mail received from the address (Tracker.Received, which a host or
//     the inbound pipeline calls for mail it accepts from an authenticated
//     sender);
//   - a send to the address that raised no bounce within
//     Options.DeliveryWindow (72 hours). Each send to a soft-bounced
//     address is kept as pending in its state; a bounce resolves the send
//     it cites (the oldest pending one when the message is unknown), and a
//     pending send older than the window is judged delivered at the next
//     Reserve or report of the address. Nothing runs in the background. A
//     bounce arriving later than the window after its send, once the
//     address has been judged delivered meanwhile, counts as a first soft
//     bounce again.
//
// Acceptance by the next hop is not evidence: a relay accepts everything.
// Unblock lifts a soft block and refuses a hard one with ErrHardBlocked;
// AdminUnblock, for administrators only, lifts both (B4). Record and Apply
// store the delivery status of each message and recipient, which
// Deliveries returns (B7).
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
// Transport, records the message's recipients, and records sends,
// deliveries and send-time rejections (classified with ClassifyReply) from
// its Result.
//
// NewTracker returns ErrNoStore for a nil Store and NewVERP ErrNoKeyring
// for a nil keyring; the zero Tracker and VERP return those errors from
// every method instead of panicking. Applied, AddressState, Decision,
// Outcome, SentMessage, Delivery and AccountGate marshal to JSON with
// snake_case keys.
//
// # Stores
//
// Store is the persistence contract: Update(ctx, account, address, fn) for
// the address state with its pending sends and idempotency keys (one
// transaction), PutDelivery/Deliveries for delivery status, AddCounts/Counts
// for per-day counters (single UPSERT statements), UpdateAccount/GetAccount
// for gate settings, and AddSent/Sent/PruneSent for the recipients of sent
// messages (one UPSERT that merges recipient lists, so concurrent sends of
// parts of a message lose none). NewMemoryStore is the embedded default;
// bouncetest.TestStore is the conformance suite every implementation runs.
//
// Costs: the gate makes one Store.Update per recipient (which stores
// nothing for an address in good standing) and one AddSent per message;
// Apply makes one Sent read per report attributed by Message-ID and one
// Update per changed address.
//
// # Dependencies
//
// go-message (textproto), golang.org/x/text (charsets of non-UTF-8
// reports) and golang.org/x/net/html (HTML parts), through the library's
// internal MIME walker.
package bounce
