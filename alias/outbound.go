package alias

import (
	"errors"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
)

// ErrNoSender: the account has neither a usable identity nor a support
// address to send from.
var ErrNoSender = errors.New("alias: no sender address")

// Sender is the From and Cc of an outgoing reply.
type Sender struct {
	// From is the From mailbox, display name included.
	From deskmail.Address `json:"-"`
	// FromHeader is From formatted for the header: the display name quoted
	// or RFC 2047 encoded as needed.
	FromHeader string `json:"from"`
	// Cc holds the auto-CC recipients; empty when the setting is off.
	Cc []deskmail.Address `json:"-"`
	// CcHeader is Cc formatted for the header, or "".
	CcHeader string `json:"cc,omitempty"`
	// Identity is the verified identity used, or nil when From is the
	// default support address.
	Identity *Identity `json:"identity,omitempty"`
	// SMTP is the identity's own SMTP server, or nil for platform sending.
	SMTP *SMTPServer `json:"smtp,omitempty"`
}

// Sender returns the From and Cc for a reply from department by the agent
// named agentName.
//
// From is, in order: a verified identity of the department; a verified
// identity for any department (Department ""); the default support address
// (the default support address is the From when no identity is
// verified). Pending, failed, disabled and deleted identities are never
// used. The display name is agentName when Settings.AgentNameInFrom is on
// and agentName is not empty (`Brad <support@…>`), else the identity's
// or address's name.
//
// With Settings.AutoCC on, Cc holds the department's support address (the
// first enabled address of the department, else the default), in its
// customer-visible form, so the customer-owned mailbox keeps a copy of
// every reply. It is added even when it is also the From address: a
// reply sent through the platform does not otherwise reach that mailbox.
//
// agentName must not hold CR or LF (ErrHeaderInjection).
func (a *Account) Sender(department, agentName string) (Sender, error) {
	if err := deskmail.CheckHeaderValue(agentName); err != nil {
		return Sender{}, fmt.Errorf("alias: agent name: %w", err)
	}
	var out Sender
	var pick *Identity
	if len(a.Departments) > 1 && department != "" {
		for i := range a.Identities {
			if x := &a.Identities[i]; x.Status == StatusVerified && x.Department == department {
				pick = x
				break
			}
		}
	}
	if pick == nil {
		for i := range a.Identities {
			if x := &a.Identities[i]; x.Status == StatusVerified && (x.Department == "" || len(a.Departments) <= 1) {
				pick = x
				break
			}
		}
	}
	if pick != nil {
		c := *pick
		if c.SMTP != nil {
			s := *c.SMTP
			c.SMTP = &s
			out.SMTP = &s
		}
		out.Identity = &c
		f, err := deskmail.NewAddress(c.Name, c.Address)
		if err != nil {
			return Sender{}, fmt.Errorf("alias: identity %s: %w", c.Address, err)
		}
		out.From = f
	} else {
		d := a.DefaultAddress()
		if d == nil {
			return Sender{}, ErrNoSender
		}
		out.From = d.Mailbox()
	}
	if a.Settings.AgentNameInFrom && strings.TrimSpace(agentName) != "" {
		out.From.Name = strings.TrimSpace(agentName)
	}
	out.FromHeader = out.From.String()
	if a.Settings.AutoCC {
		if s := a.departmentAddress(department); s != nil {
			cc := s.Mailbox()
			out.Cc = []deskmail.Address{cc}
			out.CcHeader = cc.String()
		}
	}
	return out, nil
}

func (a *Account) departmentAddress(department string) *SupportAddress {
	if len(a.Departments) > 1 && department != "" {
		for i := range a.Addresses {
			if s := &a.Addresses[i]; s.Department == department && !s.Disabled {
				return s
			}
		}
	}
	return a.DefaultAddress()
}
