// Package fetch is deskmail's second door: it reads customers' IMAP and
// POP3 mailboxes into the inbound pipeline, the way an SMTP server hands
// over what it receives.
//
// A host describes each mailbox as a Source (server, TLS mode, login,
// folder, what to do with a message once filed), builds one Fetcher with
// its inbound.Pipeline and an inbound.Handler that files a message (the
// same Handler the smtpd door takes), and calls Fetch
// on a schedule or Watch in a goroutine per source:
//
//	f, err := fetch.New(&fetch.Options{Pipeline: pipe, Handler: host, Store: store, Health: monitor})
//	res, err := f.Fetch(ctx, &fetch.Source{Account: "acme", ID: "support-mailbox",
//		Protocol: fetch.IMAP, Host: "imap.example.com", Username: "support@example.com",
//		Password: pw, After: fetch.AfterMove, MoveTo: "Filed"})
//
// # One message
//
// Each message is read whole (bounded, see below) and given to
// inbound.Pipeline.Process with an empty Envelope: there is no client IP,
// so sender authentication rests on the mailbox that received the mail
// (and on DKIM where the pipeline verifies it), and routing reads the
// header (Delivered-To, X-Original-To, To, Cc): a copy that one of the
// account's identities sent from another client with a Bcc to the
// mailbox carries the mailbox's address only in the Delivered-To or
// X-Original-To its server adds, as most do, and counts as the identity's
// only when it is authenticated: by an aligned DKIM pass, or because the
// source is the sender's own mailbox (Source.Trusted, which uses
// inbound.Pipeline.Trusted; never for a mailbox that receives mail from
// outside). The Decision and the raw
// bytes then go to Handler.Deliver. Only when Deliver returns nil is the
// message acted on at the server (Source.After) and recorded as done in
// the Store. A Decision that is a duplicate (its Message-ID is already on a
// ticket) is not delivered, only acted on and recorded.
//
// # Exactly once
//
// Two records keep a mail from being filed twice. The Store keeps, per
// source, the IMAP UIDVALIDITY and the highest UID done (RFC 3501 section
// 2.3.1.1), or the POP3 unique ids done (UIDL, RFC 1939 section 7). And
// the host's Deliver indexes the Message-ID in the threading message index
// (threading.Threader.Remember) with the ticket, so that when a fetch dies
// after Deliver and before the server-side action and the record, the next
// fetch reads the mail again, the pipeline sees the Message-ID on a ticket
// and the mail is acted on without being delivered. A mail without a
// Message-ID is protected by the Store only: for it the window between
// Deliver and the record stays open. A context cancelled during a fetch
// stops it before the next server-side action.
//
// When a folder's UIDVALIDITY changes, every UID is new again: the folder
// is read from the start and the Message-ID index drops what was filed.
//
// # After delivery
//
// IMAP: AfterSeen (the default) stores \Seen; AfterMove uses MOVE (RFC
// 6851), or COPY, \Deleted and UID EXPUNGE (RFC 4315) where the server lacks
// MOVE or refuses it, or plain EXPUNGE without UIDPLUS, which also removes
// what another client marked \Deleted; AfterDelete is \Deleted and UID
// EXPUNGE; AfterLeave changes nothing and selects the folder read-only.
// Messages are read with BODY.PEEK[], which never sets \Seen. The actions
// of one batch (up to 100 messages and Options.BatchBytes of announced
// sizes per UID FETCH) are sent together once the batch is delivered.
// Messages are delivered while the rest of their batch is read, so
// Deliver must file a batch within Options.Timeout.
//
// POP3: AfterDelete (the default) sends DELE after each accepted message;
// the server removes them at QUIT, so a session that dies keeps them, and
// the next one deletes those already done without delivering them again.
// AfterLeave is "leave on server": the UIDL record skips what was done.
// Source.OnlyNew, for either protocol, records what is in the mailbox at
// the first fetch as done without delivering it ("only new mail").
//
// # Logins and TLS
//
// Passwords go through IMAP LOGIN or POP3 USER/PASS. XOAUTH2 and
// OAUTHBEARER (RFC 7628) take a token from Source.Token at each
// connection: a TokenSource shaped like golang.org/x/oauth2's with a
// context, so an oauth2 token source plugs in through TokenFunc (this
// package does not import oauth2). POP3 AUTH follows RFC 5034, with the
// initial response on the AUTH line.
//
// TLS is implicit (993, 995; the default) or STARTTLS / STLS (RFC 2595);
// STARTTLS is negotiated by this package before the IMAP client starts, and
// a server that sends anything between its answer and the handshake is
// refused, so nothing sent in plaintext is read as if it came over TLS.
// Certificates are always verified, against the system roots or
// Source.RootCAs, unless the source sets InsecureSkipVerify for itself;
// TLSNone exists for servers on loopback. A certificate that does not
// verify is its own failure (ErrCertificate, IsCertificateError,
// alias.FetchCertFailure), apart from connection failures.
//
// # Health
//
// With Options.Health, every attempt is recorded in the source's
// alias.FetchHealth: a success resets the counts; a refused login counts
// as an authentication failure, a certificate that does not verify as a
// certificate failure, anything else from the server (no answer, timeout,
// dropped connection, bounds exceeded, protocol errors, POP3 [SYS/TEMP] and
// [IN-USE]) as a connection failure; ten consecutive authentication
// failures or fifty connection failures disable the source (A13). When
// the host fails (the pipeline's stores, Deliver, the Store) after the
// login, the attempt counts as a success of the source; a cancelled
// context counts for nothing. A disabled source is not contacted:
// Fetch returns ErrDisabled until its settings change. The Store keeps a
// fingerprint of the settings of the last attempt (server, TLS mode,
// login name, mechanism, folder, Source.Revision and, with
// Options.Keyring, a MAC of the password; never the password itself);
// when it differs, the source is re-enabled (alias.HealthMonitor
// CredentialsChanged) and tried.
//
// # Bounds
//
// A server may be hostile. Every protocol line outside message data is at
// most Options.MaxLineBytes (64 KiB; POP3 lines 8 KiB), every message at
// most Options.MaxMessageBytes (50 MiB, whatever size the server
// announced: an IMAP literal is checked on the raw stream before the IMAP
// parser allocates it), every command with its answer and the dial and
// TLS handshake Options.Timeout (2 minutes), and one Fetch
// Options.MaxPerFetch messages (1000; Result.More reports the rest). A
// message announced larger than the bound is left on the server,
// reported in Result.Skipped and recorded as done; one that turns out
// larger than announced ends the connection with ErrTooLong and is
// skipped the same way, so a bad message never blocks the mailbox.
//
// # Watch
//
// Watch keeps an IMAP source connected and waits with IDLE (RFC 2177),
// restarting it every WatchOptions.IdleRestart (10 minutes); where the
// server lacks IDLE, it polls with NOOP every PollInterval. POP3 sources are
// read every PollInterval (2 minutes). Failed attempts are retried after
// PollInterval; Watch ends with its context, or with ErrDisabled.
//
// # Cost
//
// One message costs one pipeline decision and one Store update per batch
// (IMAP) or per message (POP3), plus the server round trips: for IMAP one
// UID FETCH of sizes per fetch, one UID FETCH of bodies and one STORE per
// batch. bench/fetch compares a fetch of 1,000 mails from Dovecot with a
// plain go-imap fetch loop. Memory holds one batch of messages at most.
//
// Subpackage pop3 is the POP3 client; fetchtest holds the Store
// conformance suite.
package fetch
