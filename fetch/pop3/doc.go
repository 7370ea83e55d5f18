// Package pop3 is a small POP3 client on a net.Conn, for package fetch.
//
// It speaks RFC 1939 (USER/PASS, STAT, LIST, UIDL, RETR, DELE, NOOP,
// QUIT), RFC 2449 (CAPA, response codes such as [AUTH] and [SYS/TEMP]),
// RFC 2595 (STLS) and RFC 5034 (AUTH with a go-sasl client, initial
// response on the AUTH line), which is what a helpdesk needs to read a
// mailbox: list the unique ids, read the new messages, delete the ones it
// has filed. APOP, TOP and pipelining are not implemented.
//
// # Bounds
//
// Every read is bounded: a response line by Options.MaxLineBytes (8 KiB),
// a message and a listing by Options.MaxMessageBytes (50 MiB), whatever
// size the server announced, and every command with its response by
// Options.Timeout (2 minutes) or the context's deadline when earlier.
// A cancelled context interrupts the exchange at once. After a bound is
// hit (ErrTooLong), a malformed answer (ErrProtocol) or a network error,
// the stream is out of step and every later call fails: close the client.
// A -ERR answer is an *Error and leaves the session usable.
//
// # Security
//
// StartTLS refuses a server that sent data between its +OK and the TLS
// handshake (ErrTLSBuffered), so no plaintext answer is ever read as if
// it came over TLS. Passwords and tokens are written to the connection
// only, never into an error; server texts in errors are sanitized.
//
// # Deletion
//
// Dele only marks a message; the server removes it at Quit. Close without
// Quit (or a connection lost before it) keeps every message, which is
// what package fetch relies on: it deletes only what the host accepted.
package pop3
