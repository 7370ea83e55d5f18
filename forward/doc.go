// Package forward finds the message a mail forwards: the original sender
// (name and address), recipients, subject, date and body, and the note the
// forwarder wrote above it.
//
// A helpdesk needs this when an agent forwards a customer's mail to the
// support address: the ticket belongs to the customer, not the agent. The
// inbound pipeline calls ParseEntity for a mail from an active agent and
// uses Forward.From as the contact.
//
// # Entry points
//
//   - Parse reads a raw message (RFC 5322 + MIME) from a reader; ParseBytes
//     does the same for a message held in memory, and ParseEntity for one
//     already read with go-message. They look, in order, at Resent-*
//     fields, the body text (text/plain preferred, else text/html reduced
//     to text, and the HTML again when the plain text shows no forward),
//     and the first message/rfc822 or message/global part or attached .eml
//     file.
//   - ParseText works on a subject and a plain-text body, for hosts that
//     keep mail decoded.
//   - IsForwardSubject reports a forward prefix in a subject.
//
// # What counts as a forward
//
// The package never guesses a sender: Forwarded is true only when a sender
// address was read from the mail, and only on evidence of a forward. An
// inline forward shows a header block: consecutive "Label: value" lines,
// the labels in any language the package knows, with a From address. The
// block is found by its shape, and what stands above it decides:
//
//   - A separator that names a forward, in any language: Gmail
//     "---------- Forwarded message ---------", Thunderbird "--------
//     Weitergeleitete Nachricht --------", Apple Mail "Begin forwarded
//     message:", Yahoo "----- Messaggio inoltrato -----" (with the block on
//     the same line), Zoho "============ Forwarded message ============",
//     Lotus Notes "----- Forwarded by …", Mail.ru "--------
//     Пересылаемое сообщение --------" (followed by a date-and-sender line
//     instead of a block), "转发的邮件", "転送されたメッセージ" … Always a
//     forward.
//   - A separator clients write above replies as well as forwards:
//     Outlook's "-----Original Message-----" and its line of underscores,
//     Samsung's "-------- Original message --------", in every language.
//     A forward unless the subject starts with a reply prefix.
//   - A separator in words the package does not know (a line of dashes
//     around words, or a short line ending in a colon): a forward when the
//     block below has the full shape of a forwarded header — a From
//     address, a date, and a subject or a recipient — and the subject is
//     not a reply.
//   - No separator (new Outlook, GMX, a raw mail pasted with its Received
//     and DKIM-Signature fields): a forward under a forward prefix (Fwd,
//     FW, TR, WG, RV, ENC, I, VB, VS, VL, PD, TOV, İLT, ΠΡΘ, PĀRS, PRSL,
//     转发, 轉寄, 전달 …). A block quoted with ">" also counts under a
//     subject without prefix when it has the full shape.
//   - An attribution line naming the sender (Outlook for Mac: "On
//     28/10/2021 12:46, "John Doe" <john@x> wrote:"): only under a forward
//     prefix.
//   - A message/rfc822 or message/global part, or an attached .eml file,
//     when the body text holds no inline forward (not the message a
//     delivery, read or feedback report returns, inside
//     multipart/report); Resent-From (RFC 5322 §3.6.6) marks a resent
//     original.
//
// # Forward or reply
//
// A reply quoting the previous message shows the same blocks. Under a
// reply prefix (Re, AW, SV, Antw, Odp, R, RIF, RES, YNT, VÁ, ΑΠ, Отв, 回复,
// 返信, 회신 … with "RE :", "Re[2]:" and "Odp.:" forms) the first reply
// marker ends the search: a reply separator, a header block, or an
// attribution line. An attribution line ends the search under a subject
// without prefix too, with the history below it quoted or not (phone
// clients leave it unquoted, with an Outlook block further down), unless
// a separator that names a forward follows it (a note such as "Jane
// <jane@x> wrote to us:" above a forward). Attribution lines are read
// also when the client wrapped them over up to three lines. Only a separator that names a
// forward counts under a reply prefix ("Re: FYI" with a forward pasted in).
// A prefix that means forward in one language and reply in another ("VS:"
// forwards in Norwegian and Danish, replies in Finnish and Estonian) takes
// the meaning it has in the language of the block's labels. The first
// piece of evidence in the body wins, so a forward of a forward yields the
// outermost original. When the forward shows no subject, Subject is the
// forwarding mail's subject without its prefix.
//
// Parse and ParseEntity also read the forwarding mail's own header. An
// auto-reply (Auto-Submitted: auto-replied, RFC 3834, or X-Autoreply,
// X-Autorespond, Precedence: auto_reply) is read as under a reply prefix.
// Under a subject without prefix, a header block whose sender is one of
// the mail's own recipients (To or Cc) is a reply to that sender, unless
// a separator names a forward: an answer goes back to whoever wrote the
// quoted message, a forward goes to someone else.
//
// # Labels, names and addresses
//
// Labels are data (one row per language, with separators and subject
// prefixes): English, German, French, Spanish, Portuguese, Italian, Dutch,
// Catalan, Swedish, Norwegian, Danish, Finnish, Polish, Czech, Slovak, Hungarian,
// Romanian, Croatian, Slovenian, Serbian (Cyrillic and Latin), Bulgarian,
// Russian, Ukrainian, Greek, Turkish, Estonian, Latvian, Lithuanian,
// Vietnamese, Indonesian, Malay, Thai, Hebrew, Arabic, Persian, Hindi,
// Chinese (simplified and traditional), Japanese and Korean; and Icelandic,
// Irish, Welsh, Basque, Galician, Albanian, Macedonian, Bosnian,
// Belarusian, Kazakh, Georgian, Armenian, Azerbaijani, Uzbek, Urdu,
// Bengali, Tamil, Telugu, Marathi, Filipino, Swahili, Afrikaans, Maltese
// and Luxembourgish as Outlook and Gmail write them; as Outlook
// (desktop, web, new, Mac), Gmail, Apple Mail and iOS Mail, Thunderbird,
// Yahoo, Zoho, Samsung, Spark, Proton, Fastmail, Zimbra, Foxmail, Naver,
// Mail.ru, Yandex and GMX write them. Mixed-language blocks (Gmail
// localizes From only) are read too, and below a separator that names a
// forward or has Gmail's shape (words between runs of nine or more
// dashes) a first line "Label: Name <addr>" whose label the package does
// not know is taken for From when the known labels below it (Date,
// Subject, To) give the block its full shape: Gmail in a language missing
// from the table. Labels match with ASCII or full-width colons, "Label : value" (also with a no-break space), bold markers ("*From:*"),
// any case, around direction marks, zero-width characters and no-break
// spaces (removed before the scan), with Turkish dotted capitals, Persian
// zero-width non-joiners and Arabic vowel marks folded.
//
// The sender's name never holds label words: a block run together on one
// line is cut at its labels. Addresses are read the way clients print
// them, which is looser than RFC 5322: "Name <addr>", "Doe, John <addr>",
// "Name [mailto:addr]", "Name <mailto:addr>", "addr<mailto:addr>",
// "addr (Name)", "Name addr", Outlook's delegate form "Assistant <a@x> on
// behalf of Boss <b@x>" (the owner, Boss, whose address the original From
// header holds), the name on the From line with the address
// on the next, and a label alone on its line with the value below (HTML
// tables). Entries that show a name only are left out of To and Cc.
//
// # Results
//
// From, To, Cc, Subject, Date, Body and Note are data from the mail,
// decoded but not sanitised: a host stores and shows them as content.
// Evidence is a sentence for people and logs: any mail text it quotes went
// through deskmail.Sanitize, as did mail text in errors. Forward marshals
// to JSON with snake_case names (addresses as name, address, local,
// domain; time as RFC 3339 with the mail's offset, since a mail date
// carries no zone name). Dates are parsed (Forward.Time) only when they
// look like RFC 5322 dates; localized dates stay in Forward.Date as
// written.
//
// # Bounds and cost
//
// Options bound each entry point; past a bound it returns a *LimitError
// that wraps ErrTooLarge and names the bound:
//
//	MaxBytes        25 MiB   input (the message, or ParseText's body)
//	MaxLineBytes     1 MiB   any line of a raw message
//	MaxHeaderBytes   1 MiB   the message header
//	MaxParts          200    MIME entities visited
//	MaxScan       256 KiB    body text searched (not an error: the rest is
//	                         not searched)
//
// Parse refuses a reader that reports a length over MaxBytes
// (bytes.Reader, strings.Reader) before reading it; from any other reader
// it stops at the first bound passed, so a 30 MB header line costs about
// 1 MiB and a 30 MB body about twice MaxBytes in allocations, never more.
// The message is held in memory while it is walked (the library's one MIME
// walker works over bytes); ParseBytes reads the caller's slice in place.
// The scanner uses no regular expressions and every step is linear in the
// text scanned: BenchmarkLinear shows ns per byte flat from 2 KB to 2 MB.
// A fuzz target checks that no input panics, that Forwarded always comes
// with a sender address, and that Parse and ParseBytes agree.
//
// # Accuracy
//
// Three corpora are checked row by row against golden files under
// testdata/golden (go test -run TestGolden -update rewrites them):
// the crisp-oss/email-forward-parser fixtures (MIT, testdata/crisp with
// their licence), a corpus written for this package (testdata/written:
// every language above for each common client, forwards as attachments,
// resent and pasted raw mails, sender-name variants, and replies, prose
// and newsletters that are not forwards), and the fixtures of an
// independent reply trimmer (Discourse's email_reply_trimmer as ported
// by Forgejo, MIT, testdata/replytrimmer: replies in many languages and
// clients, one forward). TestCorpusAccuracy fails below 98% fully right
// (flag, sender address and name) on the first two and 95% on the third,
// on any false positive, and on any mismatch, unless it is listed with its
// reason in testdata/golden/known-mismatches.tsv.
//
// Known limits: a language whose labels are not in the table is not read
// unless the block is Gmail's (a separator, then an unknown From label
// above English Date, Subject and To); a forward whose only evidence is a
// separator in unknown words above a block without a date is missed; a
// reply whose subject lost its prefix and that quotes an "Original
// Message" block reads as a forward when its quoted sender is not among
// the mail's recipients (ParseText, which sees no header, always reads it
// as a forward), because that is exactly what an Outlook forward without
// subject looks like.
package forward
