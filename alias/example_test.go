package alias_test

import (
	"context"
	"fmt"
	"net/textproto"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
)

func exampleStore() *alias.MemoryStore {
	s := alias.NewMemoryStore()
	_ = s.UpdateAccount(context.Background(), "acme", func(a *alias.Account) error {
		a.AddDepartment(alias.Department{ID: "support"})
		a.AddDepartment(alias.Department{ID: "sales"})
		a.AddAddress(alias.SupportAddress{Address: "support@acme.example", Name: "Acme Support",
			PlatformAddress: "support@acme.desk.example", Department: "support"})
		return a.AddAddress(alias.SupportAddress{Address: "sales@acme.desk.example", Department: "sales"})
	})
	return s
}

func ExampleRouter_Route() {
	r, err := alias.NewRouter(exampleStore(), nil)
	if err != nil {
		panic(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("X-Original-To", "support@acme.example")
	h.Set("To", "Acme Support <support@acme.example>")
	rt, err := r.Route(context.Background(), []string{"support@acme.desk.example"}, h)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rt.Account, rt.Address, rt.Department, rt.Method, rt.ViaCustomerForward)
	// Output: acme support@acme.example support envelope true
}

func ExampleAccount_DeleteAddress() {
	s := exampleStore()
	err := s.UpdateAccount(context.Background(), "acme", func(a *alias.Account) error {
		if err := a.DeleteAddress("sales@acme.desk.example"); err != nil {
			return err
		}
		return a.DeleteAddress("support@acme.example") // the last one
	})
	fmt.Println(err)
	// Output: alias: the last support address cannot be deleted: support@acme.example
}

func ExampleAccount_Sender() {
	a := &alias.Account{ID: "acme"}
	a.AddAddress(alias.SupportAddress{Address: "support@acme.example", Name: "Acme Support"})
	a.Settings.AgentNameInFrom = true
	a.Settings.AutoCC = true
	s, _ := a.Sender("", "山田 花子")
	fmt.Println("From:", s.FromHeader)
	fmt.Println("Cc:", s.CcHeader)
	// Output:
	// From: =?utf-8?b?5bGx55SwIOiKseWtkA==?= <support@acme.example>
	// Cc: Acme Support <support@acme.example>
}

func ExampleVerifier() {
	keys, _ := deskmail.NewKeyring([]byte("a secret of at least 16 bytes"))
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	v := &alias.Verifier{Keyring: keys, Now: func() time.Time { return now }}
	a := &alias.Account{ID: "acme"}
	a.AddIdentity(alias.Identity{Address: "brad@acme.example", Name: "Brad"}, now)
	first, _ := v.Issue(a, "brad@acme.example")
	second, _ := v.Issue(a, "brad@acme.example") // "resend"
	_, err := v.Verify(a, first)
	fmt.Println(err)
	addr, err := v.Verify(a, second)
	fmt.Println(addr, err, a.Identity(addr).Status)
	// Output:
	// alias: token superseded by a newer one
	// brad@acme.example <nil> verified
}

func ExampleHealthPolicy_Record() {
	var h alias.FetchHealth
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var p *alias.HealthPolicy // nil: 10 auth failures, 50 connection failures
	for i := 1; i <= 10; i++ {
		if p.Record(&h, alias.FetchAuthFailure, "535 5.7.8 authentication failed", now) {
			fmt.Println("disabled after", i, h.DisabledReason)
		}
	}
	alias.Reenable(&h) // the customer entered a new password
	fmt.Println(h.Disabled)
	// Output:
	// disabled after 10 auth_failure
	// false
}

func ExampleParseConfirmation() {
	h := textproto.MIMEHeader{}
	h.Set("From", "Gmail Team <forwarding-noreply@google.com>")
	h.Set("Subject", "(#482913377) Gmail の転送の確認 - mary@gmail.com からメールを受信")
	body := []byte("確認コード: 482913377\nhttps://mail-settings.google.com/mail/vf-abc123-XyZ\n")
	c, err := alias.ParseConfirmation(h, body)
	fmt.Println(c.Code, c.Link, c.Requester, err)
	// Output: 482913377 https://mail-settings.google.com/mail/vf-abc123-XyZ mary@gmail.com <nil>
}

func ExampleForwardingCheck() {
	keys, _ := deskmail.NewKeyring([]byte("a secret of at least 16 bytes"))
	f := &alias.ForwardingCheck{Keyring: keys}
	sa := alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "support@acme.desk.example"}
	m, _ := f.Mail("acme", sa)
	fmt.Println("send to", m.To)

	// The mail comes back through the customer's forward, subject intact.
	h := textproto.MIMEHeader{}
	h.Set("Subject", "Fwd: "+m.Subject)
	account, addr, err := f.Recognize(h)
	fmt.Println(account, addr, err)
	// Output:
	// send to support@acme.example
	// acme support@acme.example <nil>
}

func ExampleMatchParticipants() {
	a := &alias.Account{ID: "acme"}
	a.AddAddress(alias.SupportAddress{Address: "support@acme.example"})
	crm := alias.DirectoryFunc(func(ctx context.Context, account string, keys []string) ([]alias.Contact, error) {
		return []alias.Contact{{ID: "lead-7", Kind: "lead", Address: "mary@customer.example"}}, nil
	})
	from, _ := deskmail.ParseAddress("Mary <Mary@Customer.example>")
	to, _ := deskmail.ParseAddress("support@acme.example")
	cc, _ := deskmail.ParseAddress("bob@customer.example")
	matches, _ := alias.MatchParticipants(context.Background(), crm, a, []deskmail.Address{from, to, cc})
	for _, m := range matches {
		fmt.Println(m.Address, len(m.Contacts))
	}
	// Output:
	// mary@customer.example 1
	// bob@customer.example 0
}

func ExampleAccount_Owns() {
	a := &alias.Account{ID: "acme"}
	a.AddAddress(alias.SupportAddress{Address: "support@acme.example"})
	a.AddIdentity(alias.Identity{Address: "brad@acme.example"}, time.Time{})
	from, _ := deskmail.ParseAddress("Brad <brad@acme.example>")
	if o, ok := a.Owns(from, ""); ok {
		fmt.Println("outgoing copy from", o.Kind, o.Address)
	}
	// Output: outgoing copy from identity brad@acme.example
}
