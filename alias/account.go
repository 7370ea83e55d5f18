package alias

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
)

// Errors returned by the Account methods that enforce the rules for
// departments, addresses and identities. Each is wrapped with the address
// or id concerned.
var (
	// ErrLastAddress: the last support address of an account cannot be
	// deleted.
	ErrLastAddress = errors.New("alias: the last support address cannot be deleted")
	// ErrDefaultAddress: the default support address cannot be deleted or
	// disabled; make another address the default first.
	ErrDefaultAddress = errors.New("alias: the default support address cannot be deleted or disabled")
	// ErrExists: an address, identity or department with that key or id
	// exists already.
	ErrExists = errors.New("alias: already exists")
	// ErrUnknownDepartment: a department id that the account does not have.
	ErrUnknownDepartment = errors.New("alias: unknown department")
	// ErrDepartmentInUse: a department that support addresses or identities
	// still refer to cannot be removed.
	ErrDepartmentInUse = errors.New("alias: department in use")
	// ErrInvalid: an account that breaks an invariant (Validate).
	ErrInvalid = errors.New("alias: invalid account")
	// ErrIdentityState: the identity's status does not allow the change
	// (for example verifying a disabled identity).
	ErrIdentityState = errors.New("alias: identity status does not allow this")
)

// Account is everything alias keeps for one tenant: its departments, support
// addresses, sender identities and channel settings. It is plain data, so a
// database store can keep it in rows or as one document; Store.UpdateAccount
// changes it atomically.
//
// The methods on *Account change it in memory and enforce the product rules
// ; call them inside Store.UpdateAccount so the change and the
// check happen in one transaction:
//
//	err := store.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
//		return a.DeleteAddress("sales@acme.example")
//	})
type Account struct {
	// ID is the tenant id. Set by the store.
	ID string `json:"id"`
	// Departments of the account. The department association of a support
	// address applies only when there is more than one.
	Departments []Department `json:"departments,omitempty"`
	// Addresses are the support addresses; exactly one is the default as
	// soon as there is one.
	Addresses []SupportAddress `json:"addresses,omitempty"`
	// Identities are the sender identities (From addresses),
	// including deleted ones, which are kept with StatusDeleted.
	Identities []Identity `json:"identities,omitempty"`
	// Settings configure the email channel.
	Settings Settings `json:"settings"`
	// Version counts the updates; the store increments it on every
	// successful UpdateAccount. Zero for an account never written.
	Version int64 `json:"version"`
}

// Department is a department of an account. The host owns departments; alias
// keeps their ids so that addresses and identities can name them.
type Department struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// ForwardedSender overrides Settings.ForwardedSender for mail routed to
	// this department. Nil inherits the account setting.
	ForwardedSender *bool `json:"forwarded_sender,omitempty"`
}

// SupportAddress is an address customers write to.
//
// Address is the address customers see. When it is customer-owned
// (support@company.com, hosted elsewhere and forwarding to the platform),
// PlatformAddress is the platform address it forwards to
// (support@company.desk.example); when Address is itself a platform address,
// PlatformAddress is empty. Both identify the account: routing matches
// either.
type SupportAddress struct {
	// Address is the addr-spec customers write to, stored in canonical form
	// (Key: lower case, A-label domain). Required.
	Address string `json:"address"`
	// Name is the display name used in From (`Name <address>`). May be
	// empty.
	Name string `json:"name,omitempty"`
	// PlatformAddress is the platform address Address forwards to; empty
	// when Address is itself on the platform. Canonical form.
	PlatformAddress string `json:"platform_address,omitempty"`
	// Department is the department id mail to this address goes to. It
	// applies only when the account has more than one department.
	Department string `json:"department,omitempty"`
	// Default marks the default support address (exactly one per account).
	Default bool `json:"default,omitempty"`
	// Disabled turns fetching off: mail to it is dropped, not turned
	// into a ticket. False (the zero value) means enabled.
	Disabled bool `json:"disabled,omitempty"`
	// ForwardingVerifiedAt is when a forwarding check through the
	// customer-owned address arrived. Zero: not verified.
	ForwardingVerifiedAt time.Time `json:"forwarding_verified_at,omitempty"`
}

// CustomerOwned reports whether the address is hosted by the customer and
// forwards to a platform address.
func (s *SupportAddress) CustomerOwned() bool {
	return s.PlatformAddress != "" && s.PlatformAddress != s.Address
}

// Mailbox returns the address with its display name, ready for String().
func (s *SupportAddress) Mailbox() deskmail.Address {
	a, err := deskmail.ParseAddress("<" + s.Address + ">")
	if err != nil {
		return deskmail.Address{Name: s.Name, Local: s.Address}
	}
	a.Name = s.Name
	return a
}

// Settings configure an account's email channel: one object holds what the
// outbound side, the inbound pipeline and the threading
// package read. Every zero value is the product default (off).
type Settings struct {
	// AutoCC adds the support address as a Cc recipient of every reply, so
	// the customer-owned mailbox keeps a copy. Default off.
	AutoCC bool `json:"auto_cc"`
	// AgentNameInFrom uses the replying agent's name as the From display
	// name: `Brad <support@…>`. Default off.
	AgentNameInFrom bool `json:"agent_name_in_from"`
	// ForwardedSender: mail forwarded in by an active agent creates the
	// ticket for the original sender. Departments may override it.
	// Default off.
	ForwardedSender bool `json:"forwarded_sender"`
	// AutoPrivate makes a reply whose recipients leave out the customer
	// private. Forwarded threads are private whatever this says.
	// Default off.
	AutoPrivate bool `json:"auto_private"`
	// Threading holds the subject-number threading settings.
	Threading ThreadingSettings `json:"threading"`
	// ARCSealers are domains whose ARC seals (RFC 8617) the account trusts
	// besides its own forwarding domains (see Account.ARCSealers): the mail
	// system that forwards the account's customer-owned addresses, when it
	// seals under another domain (google.com for Google Workspace,
	// outlook.com for Microsoft 365). Empty: only the account's own
	// domains, plus whatever the host trusts for every account.
	ARCSealers []string `json:"arc_sealers,omitempty"`
}

// ARCSealers returns the domains whose ARC seals the account trusts: the
// domains of its customer-owned support addresses (their mail system
// forwards to the platform and may seal what it forwards) and
// Settings.ARCSealers, lower-case, without repeats, in a new slice.
func (a *Account) ARCSealers() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, s := range a.Addresses {
		if s.CustomerOwned() {
			if at := strings.LastIndexByte(s.Address, '@'); at >= 0 {
				add(s.Address[at+1:])
			}
		}
	}
	for _, d := range a.Settings.ARCSealers {
		add(d)
	}
	return out
}

// ThreadingSettings configure subject-number threading. Message-ID threading
// is always on; these add the ticket number in the subject as a second key.
type ThreadingSettings struct {
	// SubjectNumber joins a mail whose subject holds an existing ticket
	// number to that ticket. Default off.
	SubjectNumber bool `json:"subject_number"`
	// SubjectNumberAgents lets active agents, except restricted agents,
	// attach by subject number.
	SubjectNumberAgents bool `json:"subject_number_agents"`
	// SubjectNumberParticipants lets only the ticket's contact, Cc and Bcc
	// attach by subject number, so spam with random numbers does not.
	SubjectNumberParticipants bool `json:"subject_number_participants"`
}

// ForwardedSenderFor returns the agent-forward setting (a mail an agent
// forwards in becomes the original sender's ticket) for a department: its
// override when set, else the account setting.
func (a *Account) ForwardedSenderFor(department string) bool {
	if d := a.department(department); d != nil && d.ForwardedSender != nil {
		return *d.ForwardedSender
	}
	return a.Settings.ForwardedSender
}

// DepartmentOf returns the department mail to s goes to: s.Department
// when the account has more than one department, the only department when
// it has one, and "" when it has none.
func (a *Account) DepartmentOf(s *SupportAddress) string {
	switch len(a.Departments) {
	case 0:
		return ""
	case 1:
		return a.Departments[0].ID
	}
	return s.Department
}

// Address returns the support address whose Address or PlatformAddress has
// the canonical key of addr, or nil.
func (a *Account) Address(addr string) *SupportAddress {
	k := deskmail.CanonicalKey(addr)
	if k == "" {
		return nil
	}
	for i := range a.Addresses {
		if a.Addresses[i].Address == k || a.Addresses[i].PlatformAddress == k {
			return &a.Addresses[i]
		}
	}
	return nil
}

// DefaultAddress returns the default support address, or nil when the
// account has none.
func (a *Account) DefaultAddress() *SupportAddress {
	for i := range a.Addresses {
		if a.Addresses[i].Default {
			return &a.Addresses[i]
		}
	}
	return nil
}

func (a *Account) department(id string) *Department {
	if id == "" {
		return nil
	}
	for i := range a.Departments {
		if a.Departments[i].ID == id {
			return &a.Departments[i]
		}
	}
	return nil
}

// AddDepartment adds a department. The id must be new and non-empty.
func (a *Account) AddDepartment(d Department) error {
	if d.ID == "" {
		return fmt.Errorf("%w: empty department id", ErrInvalid)
	}
	if a.department(d.ID) != nil {
		return fmt.Errorf("%w: department %q", ErrExists, d.ID)
	}
	a.Departments = append(a.Departments, d)
	return nil
}

// RemoveDepartment removes a department that no support address or live
// identity refers to.
func (a *Account) RemoveDepartment(id string) error {
	if a.department(id) == nil {
		return fmt.Errorf("%w: %q", ErrUnknownDepartment, id)
	}
	for _, s := range a.Addresses {
		if s.Department == id {
			return fmt.Errorf("%w: %q by address %s", ErrDepartmentInUse, id, s.Address)
		}
	}
	for _, x := range a.Identities {
		if x.Department == id && x.Status != StatusDeleted {
			return fmt.Errorf("%w: %q by identity %s", ErrDepartmentInUse, id, x.Address)
		}
	}
	for i := range a.Departments {
		if a.Departments[i].ID == id {
			a.Departments = append(a.Departments[:i], a.Departments[i+1:]...)
			break
		}
	}
	return nil
}

// AddAddress adds a support address. Address and PlatformAddress
// are stored in canonical form; a PlatformAddress equal to Address is
// cleared. The first address of an account becomes the default; a new
// address with Default set takes the default from the previous one. The
// department, if set, must exist.
func (a *Account) AddAddress(s SupportAddress) error {
	if err := canonicalize(&s); err != nil {
		return err
	}
	if s.Department != "" && a.department(s.Department) == nil {
		return fmt.Errorf("%w: %q", ErrUnknownDepartment, s.Department)
	}
	for _, k := range []string{s.Address, s.PlatformAddress} {
		if k != "" && a.Address(k) != nil {
			return fmt.Errorf("%w: address %s", ErrExists, k)
		}
	}
	if len(a.Addresses) == 0 {
		s.Default = true
	}
	if s.Default {
		if s.Disabled {
			return fmt.Errorf("%w: %s", ErrDefaultAddress, s.Address)
		}
		a.clearDefault()
	}
	a.Addresses = append(a.Addresses, s)
	return nil
}

// UpdateAddress replaces the support address that has the same Address with
// s. It keeps the default flag unless s sets it; use SetDefault to
// move it.
func (a *Account) UpdateAddress(s SupportAddress) error {
	if err := canonicalize(&s); err != nil {
		return err
	}
	cur := a.Address(s.Address)
	if cur == nil || cur.Address != s.Address {
		return fmt.Errorf("%w: support address %s", ErrNotFound, s.Address)
	}
	if s.Department != "" && a.department(s.Department) == nil {
		return fmt.Errorf("%w: %q", ErrUnknownDepartment, s.Department)
	}
	if s.PlatformAddress != "" {
		if o := a.Address(s.PlatformAddress); o != nil && o != cur {
			return fmt.Errorf("%w: address %s", ErrExists, s.PlatformAddress)
		}
	}
	wasDefault := cur.Default
	if wasDefault && s.Disabled {
		return fmt.Errorf("%w: %s", ErrDefaultAddress, s.Address)
	}
	if s.Default && !wasDefault {
		a.clearDefault()
	}
	s.Default = s.Default || wasDefault
	*cur = s
	return nil
}

// DeleteAddress deletes a support address. The last address of an
// account cannot be deleted (ErrLastAddress), nor the default one
// (ErrDefaultAddress): make another address the default first.
func (a *Account) DeleteAddress(addr string) error {
	cur := a.Address(addr)
	if cur == nil {
		return fmt.Errorf("%w: support address %s", ErrNotFound, addr)
	}
	if len(a.Addresses) == 1 {
		return fmt.Errorf("%w: %s", ErrLastAddress, cur.Address)
	}
	if cur.Default {
		return fmt.Errorf("%w: %s", ErrDefaultAddress, cur.Address)
	}
	for i := range a.Addresses {
		if &a.Addresses[i] == cur {
			a.Addresses = append(a.Addresses[:i], a.Addresses[i+1:]...)
			break
		}
	}
	return nil
}

// SetDefault makes addr the default support address, clearing the flag on
// the previous default. A disabled address cannot be the default.
func (a *Account) SetDefault(addr string) error {
	cur := a.Address(addr)
	if cur == nil {
		return fmt.Errorf("%w: support address %s", ErrNotFound, addr)
	}
	if cur.Disabled {
		return fmt.Errorf("%w: %s is disabled", ErrDefaultAddress, cur.Address)
	}
	a.clearDefault()
	cur.Default = true
	return nil
}

// SetFetching turns fetching on or off for addr. The default address
// cannot be turned off.
func (a *Account) SetFetching(addr string, on bool) error {
	cur := a.Address(addr)
	if cur == nil {
		return fmt.Errorf("%w: support address %s", ErrNotFound, addr)
	}
	if !on && cur.Default {
		return fmt.Errorf("%w: %s", ErrDefaultAddress, cur.Address)
	}
	cur.Disabled = !on
	return nil
}

// MarkForwardingVerified records that a forwarding check sent to addr came
// back through the platform.
func (a *Account) MarkForwardingVerified(addr string, at time.Time) error {
	cur := a.Address(addr)
	if cur == nil {
		return fmt.Errorf("%w: support address %s", ErrNotFound, addr)
	}
	cur.ForwardingVerifiedAt = at
	return nil
}

func (a *Account) clearDefault() {
	for i := range a.Addresses {
		a.Addresses[i].Default = false
	}
}

func canonicalize(s *SupportAddress) error {
	if err := deskmail.CheckHeaderValue(s.Name); err != nil {
		return fmt.Errorf("alias: display name: %w", err)
	}
	k, err := canonical(s.Address)
	if err != nil {
		return err
	}
	s.Address = k
	if s.PlatformAddress != "" {
		if s.PlatformAddress, err = canonical(s.PlatformAddress); err != nil {
			return err
		}
		if s.PlatformAddress == s.Address {
			s.PlatformAddress = ""
		}
	}
	return nil
}

func canonical(addr string) (string, error) {
	if err := deskmail.CheckHeaderValue(addr); err != nil {
		return "", fmt.Errorf("alias: address: %w", err)
	}
	k := deskmail.CanonicalKey(addr)
	if k == "" {
		return "", fmt.Errorf("%w: not an address: %q", ErrInvalid, addr)
	}
	return k, nil
}

// Validate checks the invariants every stored account keeps: canonical,
// unique address keys (Address and PlatformAddress together); exactly one
// default address, enabled, when there is any address; departments named by
// addresses and identities exist; identity addresses unique among the
// identities that are not deleted. Stores call it after the update function
// and refuse to save an account that fails it.
func (a *Account) Validate() error {
	seen := make(map[string]bool, 2*len(a.Addresses))
	defaults := 0
	for _, s := range a.Addresses {
		for _, k := range []string{s.Address, s.PlatformAddress} {
			if k == "" {
				continue
			}
			if deskmail.CanonicalKey(k) != k {
				return fmt.Errorf("%w: address %q is not in canonical form", ErrInvalid, k)
			}
			if seen[k] {
				return fmt.Errorf("%w: address %s appears twice", ErrInvalid, k)
			}
			seen[k] = true
		}
		if s.Address == "" {
			return fmt.Errorf("%w: empty support address", ErrInvalid)
		}
		if s.Default {
			defaults++
			if s.Disabled {
				return fmt.Errorf("%w: the default address %s is disabled", ErrInvalid, s.Address)
			}
		}
		if s.Department != "" && a.department(s.Department) == nil {
			return fmt.Errorf("%w: address %s names %w %q", ErrInvalid, s.Address, ErrUnknownDepartment, s.Department)
		}
	}
	if len(a.Addresses) > 0 && defaults != 1 {
		return fmt.Errorf("%w: %d default addresses, want exactly one", ErrInvalid, defaults)
	}
	depts := make(map[string]bool, len(a.Departments))
	for _, d := range a.Departments {
		if d.ID == "" || depts[d.ID] {
			return fmt.Errorf("%w: empty or duplicate department id %q", ErrInvalid, d.ID)
		}
		depts[d.ID] = true
	}
	ids := make(map[string]bool, len(a.Identities))
	for _, x := range a.Identities {
		if x.Status == StatusDeleted {
			continue
		}
		if !x.Status.valid() {
			return fmt.Errorf("%w: identity %s has status %q", ErrInvalid, x.Address, x.Status)
		}
		if ids[x.Address] {
			return fmt.Errorf("%w: identity %s appears twice", ErrInvalid, x.Address)
		}
		ids[x.Address] = true
		if x.Department != "" && !depts[x.Department] {
			return fmt.Errorf("%w: identity %s names %w %q", ErrInvalid, x.Address, ErrUnknownDepartment, x.Department)
		}
	}
	return nil
}

// Clone returns a deep copy of a.
func (a *Account) Clone() *Account {
	c := *a
	c.Departments = append([]Department(nil), a.Departments...)
	for i, d := range c.Departments {
		if d.ForwardedSender != nil {
			v := *d.ForwardedSender
			c.Departments[i].ForwardedSender = &v
		}
	}
	c.Addresses = append([]SupportAddress(nil), a.Addresses...)
	c.Settings.ARCSealers = append([]string(nil), a.Settings.ARCSealers...)
	c.Identities = append([]Identity(nil), a.Identities...)
	for i, x := range c.Identities {
		if x.SMTP != nil {
			v := *x.SMTP
			c.Identities[i].SMTP = &v
		}
	}
	return &c
}
