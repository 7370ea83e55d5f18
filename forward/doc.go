// Package forward finds the message a mail forwards: the original sender
// (name and address), recipients, subject, date and body, and the note the
// forwarder wrote above it (FEATURES.md F1).
//
// A helpdesk needs this when an agent forwards a customer's mail to the
// support address: the ticket belongs to the customer, not the agent
// (DESIGN.md, inbound step 5; feature A11). The inbound pipeline calls Parse
// for a mail from an active agent and uses Forward.From as the contact.
//
// # Entry points
//
//   - Parse reads a raw message (RFC 5322 + MIME, via go-message) and
//     looks, in order, at Resent-* fields, the body text (text/plain
//     preferred, else text/html reduced to text) and the first
//     message/rfc822 part.
//   - ParseEntity does the same for a message the caller already read.
//   - ParseText works on a subject and a plain-text body, for hosts that
//     keep mail decoded.
//   - IsForwardSubject reports a forward prefix in a subject.
//
// # What counts as a forward
//
// The package never guesses a sender. Forwarded is true only when a sender
// address was read from the mail, and only on evidence of a forward:
//
//   - Resent-From (RFC 5322 §3.6.6): the mail is the original, re-sent.
//   - A separator that names a forward, in any of the clients' languages:
//     Gmail and HubSpot "---------- Forwarded message ---------",
//     Thunderbird "-------- Weitergeleitete Nachricht --------", Yahoo
//     "----- Messaggio inoltrato -----" (with the header block on the same
//     line), Apple Mail "Begin forwarded message:", MailMate "Forwarded
//     message:". It must be followed, after at most three blank lines, by a
//     header block with a From address.
//   - A separator clients write above replies as well as forwards:
//     Outlook's "-----Original Message-----" and its line of underscores,
//     IONOS "---------- Original Message ----------". These count unless
//     the subject starts with a reply prefix (Re, AW, SV, Antw, Odp, RIF …).
//   - New Outlook writes no separator at all, and Outlook for Mac writes an
//     attribution line ("On 28/10/2021 12:46, "John Doe" <john@x> wrote:").
//     These count only when the subject starts with a forward prefix (Fwd,
//     FW, TR, WG, VS, RV, I, PD, ENC, VL, VB, İLT, Videresend, Redir. …),
//     because the same block under "Re:" is a quoted reply.
//   - A message/rfc822 (or message/global) part, when the body text holds
//     no inline forward: forward as attachment.
//
// The first piece of evidence in the body wins, so a forward of a forward
// yields the outermost original. Under a reply subject the first reply
// marker (a reply separator, a quoted header block or an attribution line)
// ends the search: what follows is quoted history, and a forward buried in
// it is not the mail's own. When the forward shows no subject (Outlook's
// attribution line), Subject is the forwarding mail's subject without its
// prefix. A separator or block without a sender
// address yields Forwarded false: the Evidence field then says why.
//
// Header labels are recognised in some twenty-five languages ("Von", "De",
// "Od", "Feladó", "Kimden", "От", "送信元" …), with ASCII or full-width
// colons, quoted with ">" or not. Address lists are read the way clients
// print them, which is looser than RFC 5322: "Doe, John <j@x>", Outlook's
// "j@x <j@x>" and "[mailto:j@x]", Exchange's "j@x<mailto:j@x>"; entries
// that show a name only are left out of To and Cc.
//
// # Bounds
//
// Options caps the bytes read (MaxBytes, 25 MiB), the body text scanned
// (MaxScan, 256 KiB: forward headers sit near the top) and the MIME parts
// visited (MaxParts, 200). Dates are parsed (Forward.Time) only when they
// look like RFC 5322 dates; localized dates stay in Forward.Date as
// written. The scanner uses no regular expressions; every
// step is linear in the text scanned, and the HTML reduction uses the
// x/net/html tokenizer, which is linear too. A fuzz target checks that no
// input panics and that Forwarded always comes with a sender address.
//
// # Accuracy
//
// The crisp-oss/email-forward-parser fixtures (MIT, copied under
// testdata/crisp with their licence) cover Apple Mail, Gmail, HubSpot,
// IONOS, MailMate, Missive, new Outlook, Outlook 2019, Outlook Live,
// Thunderbird and Yahoo in up to seventeen languages. TestCrispCorpus
// prints the share that gives the expected forwarded flag, sender address
// and name, and fails below 98% or when a not-a-forward fixture is taken
// for a forward.
package forward
