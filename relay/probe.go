package relay

import (
	"context"
	"errors"
	"fmt"
)

// ProbeResult is the outcome of a connection test (R14), for an admin's
// "test connection" button.
type ProbeResult struct {
	// OK is true when every stage passed.
	OK bool `json:"ok"`
	// Stage is the stage that failed, or StageDone.
	Stage Stage `json:"stage"`
	// Code and EnhancedCode are the server's reply at that stage, if any.
	Code         int    `json:"code"`
	EnhancedCode string `json:"enhanced_code"`
	// Message is a sentence a person can read: what failed and what to
	// check. It never holds a credential.
	Message string `json:"message"`
}

// Probe connects to the relay, negotiates TLS as configured, authenticates
// if configured and quits, bounded by ctx. It sends no mail.
func (d *Dialer) Probe(ctx context.Context, account string, r *Relay) ProbeResult {
	s, err := d.dial(ctx, account, r)
	if err == nil {
		s.quit()
		msg := fmt.Sprintf("Connected to %s", r.Addr())
		switch r.security() {
		case SecurityTLS:
			msg += " over TLS"
		case SecuritySTARTTLS:
			msg += " and started TLS"
		}
		if r.Auth != AuthNone {
			msg += fmt.Sprintf(", authenticated with %s", r.Auth)
		}
		return ProbeResult{OK: true, Stage: StageDone, Message: msg + "."}
	}
	var e *Error
	if !errors.As(err, &e) {
		return ProbeResult{Stage: StageConnect, Message: err.Error()}
	}
	return ProbeResult{Stage: e.Stage, Code: e.Reply.Code, EnhancedCode: e.Reply.EnhancedCode, Message: explain(r, e)}
}

// explain turns a session error into advice.
func explain(r *Relay, e *Error) string {
	detail := ""
	if e.Reply.Code != 0 {
		detail = " The server said: " + e.Reply.String() + "."
	} else if e.Err != nil {
		detail = " (" + e.Err.Error() + ")"
	}
	switch e.Stage {
	case StageDNS:
		return fmt.Sprintf("The host name %s could not be resolved; check its spelling.%s", r.Host, detail)
	case StageConnect:
		return fmt.Sprintf("Could not connect to %s; check the host and port and that the server accepts connections from here.%s", r.Addr(), detail)
	case StageGreeting:
		return fmt.Sprintf("Connected to %s but the server did not greet in time or refused the session; check the port and the security setting (port 465 expects TLS).%s", r.Addr(), detail)
	case StageHello:
		return "The server rejected EHLO." + detail
	case StageTLS:
		return fmt.Sprintf("TLS with %s failed; check the security setting and that the certificate is valid for %s (verification can be turned off for this relay only).%s", r.Addr(), r.Host, detail)
	case StageAuth:
		if errors.Is(e.Err, ErrNoCredentials) {
			return "No password or token is stored for this relay."
		}
		return fmt.Sprintf("Authentication as %s with %s failed; check the user name and password or token, and that the account allows SMTP access.%s", r.Username, r.Auth, detail)
	}
	return string(e.Stage) + " failed." + detail
}
