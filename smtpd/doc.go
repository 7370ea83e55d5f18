// Package smtpd is deskmail's inbound door: an SMTP or LMTP server (on
// emersion/go-smtp) that checks every recipient against the alias store
// while the client is still connected, reads each mail within fixed memory
// bounds, runs the inbound pipeline once per account and hands each
// decision to the host. A mail is acknowledged only after the host took it.
//
//	srv, err := smtpd.New(&smtpd.Options{
//		Pipeline: pipeline,     // inbound.New(...)
//		Aliases:  aliasStore,   // the pipeline's alias.Store
//		VERP:     verp,         // accept bounces to our VERP return paths
//		Domain:   "mx.desk.example",
//		Handler: inbound.HandlerFunc(func(ctx context.Context, d *inbound.Delivery) error {
//			return host.File(ctx, d.Decision, d.Raw) // nil: 250; error: 451
//		}),
//	})
//	go srv.ListenAndServe(":25")
//	defer srv.Shutdown(ctx)
//
// # What it answers, and when
//
//   - Greeting: 220. Over MaxSessions (1000) sessions, or MaxSessionsPerIP
//     (50) from one address: 421 4.7.0 and the connection is closed before
//     any goroutine is started for it.
//   - RCPT TO: the address is routed with alias.Router exactly as the
//     pipeline will route it (give Options.Router the pipeline's routing
//     options). An address no account knows, or a disabled one (A6): 550
//     5.1.1, so the sending MTA bounces it and nothing bounces later. A
//     VERP return path of Options.VERP whose token verifies is accepted so
//     that delivery reports reach the pipeline; a forged one is 550 5.1.1
//     too. A store error: 451 4.3.0. More than MaxRecipients (100)
//     recipients: 452 4.5.3 for each one over.
//   - MAIL FROM with a SIZE over MaxMessageBytes (25 MiB): 552 5.3.4. With
//     RequireAuth before AUTH: 530 5.7.0.
//   - DATA: a mail over MaxMessageBytes is refused with 552 5.3.4 after the
//     rest of it was read and discarded; a line over MaxLineLength (16 KiB)
//     ends the session with 500; DATA not finished within DataTimeout (10
//     minutes) ends with 421 4.4.2; a mail that holds a NUL byte is 554
//     5.6.0 (no host database stores it as text). Bare LF is passed on as
//     received: only CRLF.CRLF ends DATA, so a message cannot smuggle a
//     second one behind "LF.LF" or "LF.CRLF".
//   - After DATA the pipeline runs (inbound.Pipeline.ProcessAll), once per
//     account among the recipients, and each decision goes to the Handler.
//     A pipeline or Handler error: 451 4.3.0 (the error itself goes to the
//     log, never to the client). Otherwise 250.
//   - AUTH PLAIN (RFC 4954, RFC 4616), when Options.Authenticate is set,
//     offered only after STARTTLS unless AllowInsecureAuth: 235, 535 5.7.8
//     for bad credentials (the callback returns ErrBadCredentials), 454
//     4.7.0 for a callback failure, and after MaxAuthFailures (3) failures
//     421 4.7.0 for every further try.
//   - STARTTLS (RFC 3207) with Options.TLSConfig.
//   - A command not received within CommandTimeout (5 minutes): 421 4.4.2.
//
// # Submission: authenticated senders
//
// With Authenticate and RequireAuth the server is a submission port for
// the host's agents. Give it SenderCheck too, which says which addresses a
// login may send as: the MAIL FROM is checked at MAIL (553 5.7.1) and
// every address of the From header after DATA (550 5.7.1), and the mail
// then goes through the pipeline's trusted path (inbound.Pipeline.Trusted):
// its From is authenticated by the login rather than by SPF, DKIM and
// DMARC, so an agent keeps its privileges (subject-number threading,
// forwarding a customer's mail in, private replies). Without SenderCheck an
// authenticated session's mail is decided like any other; only
// inbound.Delivery.Authenticated records the login. Mail given before AUTH in the
// same session is never trusted.
//
// # SMTP and LMTP
//
// In SMTP mode the one reply after DATA covers every recipient: if the
// Handler fails for one account, the whole mail is answered 451 and the
// sender retries it for all recipients, so the accounts that took it get
// it twice (the pipeline drops the copy as a duplicate once the host
// indexed its Message-ID with the threader). LMTP (RFC 2033, Options.LMTP)
// answers each recipient on its own: the recipients of an account whose
// Handler failed get 451, the others 250. Behind an MTA, prefer LMTP.
//
// # What the host receives
//
// inbound.Delivery holds the decision, the envelope of that account's recipients,
// the AUTH identity (Authenticated), whether the mail took the pipeline's
// trusted path (Trusted, below), the TLS state, and Raw: the mail as received, prefixed with a Received field
// (RFC 5321 §4.4: the client's HELO reduced to the characters of a domain,
// its address, TLS version and cipher, the RFC 3848 protocol such as
// ESMTPS or ESMTPSA, the id, the recipient when there is only one, the time
// from Options.Now) and the pipeline's Authentication-Results field.
// Authentication-Results fields in the mail that claim the same authserv-id
// are removed first (RFC 8601 §5), so a sender cannot forge our verdict.
// Raw is valid only during Deliver.
//
// # Limits and memory
//
// Mail is read into memory, since the pipeline (DKIM, the bounce and
// forward parsers) needs all of it, but never more than MaxMemory bytes
// (4 x MaxMessageBytes, 100 MiB by default) across all sessions. Each mail
// starts in a shared small budget (64 KiB, or its declared SIZE) and grows
// there up to 1 MiB; a larger mail waits for a big lane, one buffer the
// size of the largest mail. The big lanes take at most half of MaxMemory
// and the small budget the rest (by default one big lane of 25 MiB and 75
// MiB for the rest; measured peak resident set for 200 concurrent 25 MB
// mails: about 160 MB). A session waiting for
// memory stops reading, so TCP holds its client back; waits count against
// DataTimeout. Buffers are reused (a big one is kept until 30 seconds
// pass without a large mail), and fields are written in room kept
// before the text, so handing a mail on copies nothing. Client text
// written to logs or replies (HELO, addresses, errors) goes through
// deskmail.Sanitize; passwords are never logged.
//
// # Behind Postfix
//
// To let Postfix (or another MTA) face the Internet and relay into the
// helpdesk, serve LMTP on a local port and point a transport at it:
//
//	# main.cf
//	transport_maps = hash:/etc/postfix/transport
//	# /etc/postfix/transport: the platform's domains
//	desk.example      lmtp:inet:127.0.0.1:2424
//
// Set MaxSessionsPerIP to at least Postfix's lmtp_destination_concurrency
// (default_destination_concurrency_limit, 20). Postfix then refuses nothing
// itself: our 550 at RCPT makes it bounce unknown recipients, and 451 makes
// it queue and retry. The pipeline authenticates the sender from the
// client address, so list the relay's address in Options.TrustedRelays:
// the client and HELO are then read from the Received field the relay
// added on top (Postfix, Sendmail, Exim and Microsoft forms), and SPF is
// checked for the sender's server, not for Postfix.
//
// # Shutdown
//
// Shutdown stops accepting, ends idle sessions with 421, lets mail being
// received or processed finish, and waits for the sessions to end; Close
// ends everything at once (unacknowledged mail is retried by its senders).
package smtpd
