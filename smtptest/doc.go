// Package smtptest starts real SMTP servers on loopback for a host's tests:
// the go-smtp server behind a listener on 127.0.0.1, which captures the mail
// it accepts and can be told to misbehave.
//
// # What a server does
//
//	srv := smtptest.New(t, &smtptest.Options{Security: smtptest.StartTLS,
//		Users: map[string]string{"app": "secret"}})
//	// point the code under test at srv.Host(), srv.Port(),
//	// with srv.ClientTLSConfig() as its TLS configuration
//	msgs := srv.Messages() // the mail accepted so far, envelope and data
//
// Security is None (plain text), StartTLS (RFC 3207) or ImplicitTLS (RFC
// 8314, "SMTPS"). Each server generates its own test certificate authority
// and a leaf certificate for 127.0.0.1, ::1 and localhost; CertPool and
// ClientTLSConfig hand it to the client under test, so certificate
// verification stays on in tests.
//
// With Users or Tokens set, the server advertises AUTH (RFC 4954) and
// refuses MAIL before a successful AUTH with 530 5.7.0. PLAIN (RFC 4616)
// and LOGIN check Users; XOAUTH2 (Google's format) and OAUTHBEARER (RFC
// 7628) check Tokens. AUTH is allowed before TLS, as the point is to test
// clients, not to protect credentials.
//
// # Faults
//
// Fault describes the misbehaviour; set it in Options or change it at any
// time with SetFault:
//
//   - Refuse: no listener at all when set in Options (the port refuses
//     connections); set later, every new connection is reset at once.
//   - HangGreeting: connections are accepted and never greeted.
//   - WrongCert: the server presents a certificate from a CA the client does
//     not trust.
//   - AuthFail: every AUTH is answered 535 5.7.8.
//   - Mail, Rcpt, RcptAll, Data: chosen replies (any code, enhanced code and
//     text) at MAIL FROM, at RCPT TO for a given recipient or all of them,
//     and after the message data.
//   - DropAfterData: the message data is read (and captured, as a real
//     server may have queued it) and the connection is closed without a
//     reply, leaving the client's outcome unknown.
//
// # Lifetime
//
// Close stops the listener, closes every connection and waits for every
// goroutine the server started, so a test that checks for leaked goroutines
// passes. New registers Close with t.Cleanup; Start leaves it to the caller.
// Servers only ever listen on loopback.
package smtptest
