// Package compose builds the outgoing mail of a helpdesk from a host's
// draft and sends it, or a message the host brings, through one send
// chain.
//
// # Composing
//
// A Composer turns a Draft into an RFC 5322 message on go-message (the
// fields in a mail.Header, written and folded by its textproto package,
// the structure through its MultipartWriter; each leaf is encoded in one
// pass):
//
//   - From is the account's identity or support address (alias
//     Account.Sender), with the agent's name as display name when the
//     account's setting is on ("Brad <support@acme.example>"); the
//     support address is added to Cc when auto-CC is on, once.
//   - With a Ticket, Message-ID carries the threading package's signed
//     token, In-Reply-To and References repeat the thread, the subject gets
//     the ticket tag when subject numbers are on, and Reply-To is the
//     support address's platform address with a reply tag (NoReplyTo
//     leaves it out). Without a ticket the Message-ID is random. Its domain
//     is Options.MessageIDDomain, else the From domain; a domain literal or
//     a .invalid name is refused (ErrNoMessageIDDomain).
//   - Sender names Options.PlatformSender when the host's SendsAs says the
//     account does not send as the From domain itself.
//   - Notification and workflow mail is marked Auto-Submitted:
//     auto-generated (RFC 3834, with the autoreply package's fields);
//     notification and mass mail with an UnsubscribeURL gets
//     List-Unsubscribe and List-Unsubscribe-Post: List-Unsubscribe=One-Click
//     (RFC 8058). The dkim package's default header set signs both.
//   - Header text is RFC 2047 encoded when it is not ASCII (UTF-8, Q or B
//     by which is shorter, words of at most 62 characters so a folded line
//     stays within 78), and also when it holds control characters or "=?".
//     Draft.SMTPUTF8 (the relay announced SMTPUTF8, RFC 6531) writes raw
//     UTF-8 instead (RFC 6532) and allows non-ASCII local parts, which are
//     refused otherwise (ErrNeedsSMTPUTF8). Headers are folded at white
//     space at 76 characters; only an unbreakable token (a long
//     Message-ID) may pass 78, never 998.
//   - The body is one text part; text and HTML in multipart/alternative
//     (with only HTML, the text part is derived from it); inline images
//     (Attachment.ContentID, referenced as cid: from the HTML) in
//     multipart/related (RFC 2387); files in multipart/mixed. Text is 7bit
//     when it is ASCII lines of at most 78 characters, else
//     quoted-printable, or base64 when more than one byte in six would be
//     escaped (CJK text); files are base64, their names RFC 2231 encoded.
//     Line ends are CRLF. Boundaries derive from the Message-ID and start
//     with "=_", which neither quoted-printable nor base64 can produce.
//   - Date comes from the injected clock.
//
// Every draft field that becomes a header is checked for CR, LF and NUL
// first; Compose fails with an error wrapping deskmail.ErrHeaderInjection.
// Attachments over Options.MaxAttachmentSize, alone or together, fail with
// ErrAttachmentTooLarge: nothing is truncated.
//
// # Sending
//
// A Sender is the one send path. Send composes a draft and sends it;
// SendRaw sends a message the host built itself ("bring your own
// message") through the very same chain:
//
//  1. return path (the account's choice, B8): the platform's VERP address
//     (bounce.VERP; one envelope per recipient, results merged in
//     recipient order), the From address, a fixed bounce address, or the
//     envelope's own (relay.ReturnPathKeep). What a choice does to SPF and
//     DMARC is evaluated by the sender-authentication package's Explain;
//     in short, a platform return path through a customer's relay fails
//     SPF, so only an aligned DKIM signature passes DMARC;
//  2. bounce gate (bounce.Tracker's middleware): blocked addresses are
//     dropped, notifications of an account over its bounce rate paused,
//     every outcome recorded;
//  3. relay route (relay.Middleware): the account's relay for the From
//     domain and kind within its cap and the plan's, else the platform,
//     with fallback to the platform on relay faults;
//  4. DKIM signing (dkim.Signer) for the From domain, on the relay routes
//     and the platform route alike (the relay transports are wrapped);
//  5. the transport: SenderOptions.Transport for the platform, SMTP for
//     relays.
//
// Each result has one entry per recipient (To, Cc, Bcc and the auto-CC
// address, deduplicated).
//
// # Identities with their own server
//
// IdentityRoutes turns every verified identity that has an SMTP server of
// its own into a relay route (relay.Relay.Identity): the From address
// goes through that server with its password, app password (PLAIN) or
// OAuth token (XOAUTH2), resolved through the host's Credentials from the
// identity's CredentialRef, within the server's DailyLimit, and never
// through the platform. When the server refuses the login, the identity
// is marked failed in the alias store: re-authentication is needed and
// it is no longer routed or used as From.
//
// # Choices
//
//   - Reply-To points at the support address's platform address with a
//     reply tag, not the customer-owned address: the tag reaches the
//     platform directly, whatever the customer's mail server does with
//     sub-addresses.
//   - The auto-CC address is added even when it is also the From, as the
//     alias package documents: mail sent through the platform does not
//     otherwise reach the customer-owned mailbox.
//   - RFC 2047 words are written by this package rather than mime's
//     encoder, whose 75-character words make "Subject: " plus one word
//     longer than 78 characters.
//   - A display name that reads as an encoded word ("=?utf-8?q?Admin?=")
//     is itself encoded, so a reader shows it as typed.
//
// # Explaining the return path
//
// Sender.ExplainReturnPath runs the sender-authentication package's
// Explain on the return path the Sender would use, so an admin screen shows
// what SPF, DKIM and DMARC a receiver will see (R12).
//
// # Cost
//
// Composing a reply with text, HTML and a small attachment takes tens of
// microseconds; the message is built in one buffer sized from the draft.
// The bench/compose module measures compose, sign and send over loopback
// against go-mail.
package compose
