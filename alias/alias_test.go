package alias_test

import (
	"context"
	"errors"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/alias/aliastest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestMemoryStore(t *testing.T) {
	aliastest.TestStore(t, func(t *testing.T) alias.Store { return alias.NewMemoryStore() })
}

// batchStore adds alias.BatchLookup to a MemoryStore, as a database store
// would, so the router's batch path and the suite's batch clause run.
type batchStore struct {
	*alias.MemoryStore
	calls int
}

func (b *batchStore) LookupKeys(ctx context.Context, keys []string) ([]alias.Entry, error) {
	b.calls++
	var out []alias.Entry
	for _, k := range keys {
		if e, err := b.Lookup(ctx, k); err == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestBatchStore(t *testing.T) {
	aliastest.TestStore(t, func(t *testing.T) alias.Store { return &batchStore{MemoryStore: alias.NewMemoryStore()} })
}

// fixture: account "acme" with two departments, a customer-owned support
// address forwarding to a platform address, a platform-only sales address,
// a disabled old address; account "globex" with one department and one
// address.
func fixture(t testing.TB) *alias.MemoryStore {
	t.Helper()
	s := alias.NewMemoryStore()
	ctx := context.Background()
	err := s.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		for _, d := range []alias.Department{{ID: "support", Name: "Support"}, {ID: "sales", Name: "Sales"}} {
			if err := a.AddDepartment(d); err != nil {
				return err
			}
		}
		for _, sa := range []alias.SupportAddress{
			{Address: "support@acme.example", Name: "Acme Support", PlatformAddress: "support@acme.desk.example", Department: "support"},
			{Address: "sales@acme.desk.example", Name: "Acme Sales", Department: "sales"},
			{Address: "old@acme.example", PlatformAddress: "old@acme.desk.example", Department: "support", Disabled: true},
		} {
			if err := a.AddAddress(sa); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.UpdateAccount(ctx, "globex", func(a *alias.Account) error {
		a.AddDepartment(alias.Department{ID: "only"})
		return a.AddAddress(alias.SupportAddress{Address: "help@globex.example", PlatformAddress: "help@globex.desk.example", Department: "ignored-not-set"})
	})
	if err == nil || !errors.Is(err, alias.ErrUnknownDepartment) {
		t.Fatalf("unknown department accepted: %v", err)
	}
	err = s.UpdateAccount(ctx, "globex", func(a *alias.Account) error {
		a.AddDepartment(alias.Department{ID: "only"})
		return a.AddAddress(alias.SupportAddress{Address: "help@globex.example", PlatformAddress: "help@globex.desk.example"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hdr(kv ...string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestRoute(t *testing.T) {
	t.Run("per-key lookups", func(t *testing.T) { testRoute(t, fixture(t)) })
	t.Run("batch lookup", func(t *testing.T) {
		b := &batchStore{MemoryStore: fixture(t)}
		testRoute(t, b)
		if b.calls == 0 {
			t.Error("router did not use LookupKeys")
		}
	})
}

func testRoute(t *testing.T, store alias.Store) {
	r, _ := alias.NewRouter(store, nil)
	tests := []struct {
		name       string
		rcpts      []string
		h          textproto.MIMEHeader
		account    string
		address    string
		dept       string
		method     alias.MatchMethod
		forward    bool
		forwardFor string
		drop       alias.DropReason
		tag        string
		err        error
	}{
		{name: "A2/envelope to platform address via customer forward",
			rcpts: []string{"support@acme.desk.example"}, h: hdr("To", "Acme <support@acme.example>"),
			account: "acme", address: "support@acme.example", dept: "support", method: alias.MatchEnvelope, forward: true, forwardFor: "support@acme.example"},
		{name: "A2/X-Original-To names the customer address",
			h:       hdr("X-Original-To", "support@acme.example", "To", "someone@else.example"),
			account: "acme", address: "support@acme.example", dept: "support", method: alias.MatchOriginalTo, forward: true, forwardFor: "support@acme.example"},
		{name: "A2/Delivered-To platform address, To customer address",
			h:       hdr("Delivered-To", "support@acme.desk.example", "To", "support@acme.example"),
			account: "acme", address: "support@acme.example", method: alias.MatchDeliveredTo, dept: "support", forward: true, forwardFor: "support@acme.example"},
		{name: "A2/X-Forwarded-To",
			h:       hdr("X-Forwarded-To", "SUPPORT@ACME.EXAMPLE", "To", "x@y.example"),
			account: "acme", address: "support@acme.example", method: alias.MatchForwardedTo, dept: "support", forward: true, forwardFor: "support@acme.example"},
		{name: "A2/trust order: envelope beats To",
			rcpts: []string{"sales@acme.desk.example"}, h: hdr("To", "support@acme.example"),
			account: "acme", address: "sales@acme.desk.example", dept: "sales", method: alias.MatchEnvelope},
		{name: "A2/To then Cc",
			h:       hdr("Cc", "sales@acme.desk.example", "To", `"Acme Support" <support@acme.example>, other@x.example`),
			account: "acme", address: "support@acme.example", dept: "support", method: alias.MatchTo},
		{name: "A2/Cc only",
			h:       hdr("To", "someone@x.example", "Cc", "=?UTF-8?B?5Za25qWt?= <sales@acme.desk.example>"),
			account: "acme", address: "sales@acme.desk.example", dept: "sales", method: alias.MatchCc},
		{name: "A2/direct mail to the platform address is not a forward",
			rcpts: []string{"support@acme.desk.example"}, h: hdr("To", "support@acme.desk.example"),
			account: "acme", address: "support@acme.example", dept: "support", method: alias.MatchEnvelope},
		{name: "A2/unknown forwarding address in X-Original-To",
			rcpts: []string{"sales@acme.desk.example"}, h: hdr("X-Original-To", "info@customer.example"),
			account: "acme", address: "sales@acme.desk.example", dept: "sales", method: alias.MatchEnvelope, forward: true, forwardFor: "info@customer.example"},
		{name: "A4/one department means the department association is ignored",
			rcpts: []string{"help@globex.desk.example"}, h: hdr("To", "help@globex.example"),
			account: "globex", address: "help@globex.example", dept: "only", method: alias.MatchEnvelope, forward: true, forwardFor: "help@globex.example"},
		{name: "A6/disabled address drops",
			rcpts: []string{"old@acme.desk.example"}, h: hdr("To", "old@acme.example"),
			account: "acme", address: "old@acme.example", dept: "support", method: alias.MatchEnvelope, forward: true, forwardFor: "old@acme.example", drop: alias.DropAddressDisabled},
		{name: "A6/disabled in To, enabled in Cc of the same account: routed",
			h:       hdr("To", "old@acme.example", "Cc", "sales@acme.desk.example"),
			account: "acme", address: "sales@acme.desk.example", dept: "sales", method: alias.MatchCc},
		{name: "A2/first account wins over another tenant in Cc",
			rcpts: []string{"help@globex.desk.example"}, h: hdr("To", "help@globex.example", "Cc", "support@acme.example"),
			account: "globex", address: "help@globex.example", dept: "only", method: alias.MatchEnvelope, forward: true, forwardFor: "help@globex.example"},
		{name: "A16/sub-address matches its base",
			h:       hdr("To", "Support+Billing@ACME.example"),
			account: "acme", address: "support@acme.example", dept: "support", method: alias.MatchTo, tag: "billing"},
		{name: "A16/tag of the header kept when the envelope names the platform address",
			rcpts: []string{"support@acme.desk.example"}, h: hdr("To", "support+billing@acme.example"),
			account: "acme", address: "support@acme.example", dept: "support", method: alias.MatchEnvelope, forward: true, forwardFor: "support@acme.example", tag: "billing"},
		{name: "A16/group and comments take the full parser",
			h:       hdr("To", "team: a@x.example, sales@acme.desk.example (Sales);"),
			account: "acme", address: "sales@acme.desk.example", dept: "sales", method: alias.MatchTo},
		{name: "A3/Gmail forwarding confirmation never becomes a ticket",
			rcpts: []string{"sales@acme.desk.example"}, h: hdr("From", "Gmail Team <Forwarding-Noreply@google.com>", "Subject", "(#123) Gmail Forwarding Confirmation"),
			account: "acme", address: "sales@acme.desk.example", dept: "sales", method: alias.MatchEnvelope, drop: alias.DropConfirmation},
		{name: "A3/other google.com senders are routed",
			rcpts: []string{"sales@acme.desk.example"}, h: hdr("From", "\"forwarding-noreply@google.com\" <someone@google.com>"),
			account: "acme", address: "sales@acme.desk.example", dept: "sales", method: alias.MatchEnvelope},
		{name: "no match", h: hdr("To", "nobody@nowhere.example"), err: alias.ErrNoRoute},
		{name: "empty", err: alias.ErrNoRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h deskmail.Header
			if tc.h != nil {
				h = tc.h
			}
			rt, err := r.Route(context.Background(), tc.rcpts, h)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rt.Account != tc.account || rt.Address != tc.address || rt.Department != tc.dept || rt.Method != tc.method ||
				rt.ViaCustomerForward != tc.forward || rt.ForwardedFor != tc.forwardFor || rt.Drop != tc.drop || rt.Tag != tc.tag {
				t.Errorf("route = {account %q address %q dept %q method %q forward %v for %q drop %q tag %q}\n"+
					"want    {account %q address %q dept %q method %q forward %v for %q drop %q tag %q}",
					rt.Account, rt.Address, rt.Department, rt.Method, rt.ViaCustomerForward, rt.ForwardedFor, rt.Drop, rt.Tag,
					tc.account, tc.address, tc.dept, tc.method, tc.forward, tc.forwardFor, tc.drop, tc.tag)
			}
		})
	}
}

func TestRouteSeparatorAndMailHeader(t *testing.T) {
	r, _ := alias.NewRouter(fixture(t), &alias.RouterOptions{SubaddressSeparator: "-"})
	h := deskmail.MailHeader{"To": {"sales-leads@acme.desk.example"}}
	rt, err := r.Route(context.Background(), nil, h)
	if err != nil || rt.Address != "sales@acme.desk.example" || rt.Tag != "leads" {
		t.Fatalf("A16/configurable separator: %+v, %v", rt.Match, err)
	}
	if _, err := r.Route(context.Background(), nil, deskmail.MailHeader{"To": {"sales+leads@acme.desk.example"}}); !errors.Is(err, alias.ErrNoRoute) {
		t.Errorf("'+' split with separator '-': %v", err)
	}
}

func TestRouteMaxCandidates(t *testing.T) {
	r, _ := alias.NewRouter(fixture(t), &alias.RouterOptions{MaxCandidates: 3})
	var list []string
	for i := 0; i < 5; i++ {
		list = append(list, "x"+strings.Repeat("y", i)+"@other.example")
	}
	list = append(list, "sales@acme.desk.example")
	if _, err := r.Route(context.Background(), nil, hdr("To", strings.Join(list, ", "))); !errors.Is(err, alias.ErrNoRoute) {
		t.Errorf("candidates beyond the limit were looked up: %v", err)
	}
}

func TestAddressRules(t *testing.T) {
	newAcct := func() *alias.Account {
		a := &alias.Account{ID: "acme"}
		a.AddDepartment(alias.Department{ID: "d1"})
		a.AddDepartment(alias.Department{ID: "d2"})
		a.AddAddress(alias.SupportAddress{Address: "one@acme.example"})
		a.AddAddress(alias.SupportAddress{Address: "two@acme.example", Department: "d2"})
		return a
	}
	tests := []struct {
		name string
		op   func(a *alias.Account) error
		want error
	}{
		{"A5/first address becomes the default", func(a *alias.Account) error {
			if d := a.DefaultAddress(); d == nil || d.Address != "one@acme.example" {
				t.Errorf("default = %+v", d)
			}
			return nil
		}, nil},
		{"A5/last address cannot be deleted", func(a *alias.Account) error {
			a.SetDefault("two@acme.example")
			if err := a.DeleteAddress("one@acme.example"); err != nil {
				return err
			}
			return a.DeleteAddress("two@acme.example")
		}, alias.ErrLastAddress},
		{"A5/default cannot be deleted", func(a *alias.Account) error { return a.DeleteAddress("ONE@acme.example") }, alias.ErrDefaultAddress},
		{"A5/default cannot be disabled", func(a *alias.Account) error { return a.SetFetching("one@acme.example", false) }, alias.ErrDefaultAddress},
		{"A5/exactly one default after SetDefault", func(a *alias.Account) error {
			if err := a.SetDefault("two@acme.example"); err != nil {
				return err
			}
			n := 0
			for _, s := range a.Addresses {
				if s.Default {
					n++
				}
			}
			if n != 1 || a.DefaultAddress().Address != "two@acme.example" {
				t.Errorf("%d defaults, default %s", n, a.DefaultAddress().Address)
			}
			return a.Validate()
		}, nil},
		{"A5/new default address takes the flag", func(a *alias.Account) error {
			a.AddAddress(alias.SupportAddress{Address: "three@acme.example", Default: true})
			if a.DefaultAddress().Address != "three@acme.example" {
				t.Error("new default not taken")
			}
			return a.Validate()
		}, nil},
		{"A5/edit keeps the default", func(a *alias.Account) error {
			if err := a.UpdateAddress(alias.SupportAddress{Address: "one@acme.example", Name: "Renamed"}); err != nil {
				return err
			}
			if d := a.DefaultAddress(); d.Name != "Renamed" {
				t.Errorf("default after edit = %+v", d)
			}
			return nil
		}, nil},
		{"A5/edit unknown address", func(a *alias.Account) error {
			return a.UpdateAddress(alias.SupportAddress{Address: "nope@acme.example"})
		}, alias.ErrNotFound},
		{"A1/duplicate address", func(a *alias.Account) error { return a.AddAddress(alias.SupportAddress{Address: "Two@ACME.example"}) }, alias.ErrExists},
		{"A1/header injection in the display name", func(a *alias.Account) error {
			return a.AddAddress(alias.SupportAddress{Address: "x@acme.example", Name: "x\r\nBcc: victim@example.com"})
		}, deskmail.ErrHeaderInjection},
		{"A4/unknown department", func(a *alias.Account) error {
			return a.AddAddress(alias.SupportAddress{Address: "x@acme.example", Department: "zz"})
		}, alias.ErrUnknownDepartment},
		{"A4/department in use cannot be removed", func(a *alias.Account) error { return a.RemoveDepartment("d2") }, alias.ErrDepartmentInUse},
		{"A4/department association applies with more than one department", func(a *alias.Account) error {
			s := a.Address("two@acme.example")
			if got := a.DepartmentOf(s); got != "d2" {
				t.Errorf("two departments: DepartmentOf = %q", got)
			}
			a.RemoveDepartment("d1")
			if got := a.DepartmentOf(a.Address("one@acme.example")); got != "d2" {
				t.Errorf("one department: DepartmentOf = %q, want the only department", got)
			}
			return nil
		}, nil},
		{"A11/department override of forwarded sender", func(a *alias.Account) error {
			no := false
			a.Settings.ForwardedSender = true
			a.Departments[1].ForwardedSender = &no
			if !a.ForwardedSenderFor("d1") || a.ForwardedSenderFor("d2") || !a.ForwardedSenderFor("") {
				t.Error("ForwardedSenderFor ignores the override")
			}
			return nil
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op(newAcct())
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func keyring(t testing.TB) *deskmail.Keyring {
	k, err := deskmail.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIdentityLifecycle(t *testing.T) {
	now := t0
	clock := func() time.Time { return now }
	v := &alias.Verifier{Keyring: keyring(t), Now: clock}
	a := &alias.Account{ID: "acme"}
	a.AddAddress(alias.SupportAddress{Address: "support@acme.example"})
	if err := a.AddIdentity(alias.Identity{Address: "Brad@Acme.example", Name: "Brad"}, now); err != nil {
		t.Fatal(err)
	}
	x := a.Identity("brad@acme.example")
	if x == nil || x.Status != alias.StatusPending {
		t.Fatalf("A7/new identity is pending: %+v", x)
	}
	tok1, err := v.Issue(a, "brad@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	tok2, _ := v.Issue(a, "brad@acme.example") // resend
	if _, err := v.Verify(a, tok1); !errors.Is(err, alias.ErrTokenSuperseded) {
		t.Errorf("A7/resend invalidates the first token: %v", err)
	}
	if acct, err := v.Account(tok2); err != nil || acct != "acme" {
		t.Errorf("Account(token) = %q, %v", acct, err)
	}
	bad := []byte(tok2)
	bad[len(bad)-1] ^= 1
	if _, err := v.Verify(a, string(bad)); !errors.Is(err, alias.ErrTokenInvalid) {
		t.Errorf("A7/tampered token: %v", err)
	}
	other := &alias.Verifier{Keyring: func() *deskmail.Keyring { k, _ := deskmail.NewKeyring([]byte("another-secret-0123456789")); return k }(), Now: clock}
	if _, err := other.Verify(a, tok2); !errors.Is(err, alias.ErrTokenInvalid) {
		t.Errorf("A7/token under another key: %v", err)
	}
	now = t0.Add(alias.DefaultVerificationTTL)
	if _, err := v.Verify(a, tok2); !errors.Is(err, alias.ErrTokenExpired) {
		t.Errorf("A7/expired token: %v", err)
	}
	now = t0.Add(time.Hour)
	tok3, _ := v.Issue(a, "brad@acme.example")
	if got, err := v.Verify(a, tok3); err != nil || got != "brad@acme.example" || x.Status != alias.StatusVerified || !x.VerifiedAt.Equal(now) {
		t.Errorf("A7/pending → verified: %q %v %+v", got, err, x)
	}
	if err := a.DisableIdentity("brad@acme.example", now); err != nil || x.Status != alias.StatusDisabled {
		t.Errorf("A7/disable: %v %s", err, x.Status)
	}
	if _, err := v.Issue(a, "brad@acme.example"); !errors.Is(err, alias.ErrIdentityState) {
		t.Errorf("A7/issue for disabled: %v", err)
	}
	a.EnableIdentity("brad@acme.example", now)
	if x.Status != alias.StatusVerified {
		t.Errorf("A7/enable returns a verified identity to verified: %s", x.Status)
	}
	if err := a.DeleteIdentity("brad@acme.example", now); err != nil {
		t.Fatal(err)
	}
	if a.Identity("brad@acme.example") != nil {
		t.Error("A7/deleted identity still found")
	}
	if _, err := v.Verify(a, tok3); !errors.Is(err, alias.ErrTokenSuperseded) {
		t.Errorf("A7/token of a deleted identity: %v", err)
	}
	if err := a.AddIdentity(alias.Identity{Address: "brad@acme.example"}, now); err != nil || a.Identity("brad@acme.example").Status != alias.StatusPending {
		t.Errorf("A7/re-adding a deleted identity: %v", err)
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
}

func TestIdentitySMTP(t *testing.T) {
	a := &alias.Account{ID: "acme"}
	a.AddAddress(alias.SupportAddress{Address: "support@acme.example"})
	smtp := &alias.SMTPServer{Host: "smtp.gmail.com", Auth: alias.AuthOAuth2, Provider: "gmail", CredentialRef: "vault:brad"}
	a.AddIdentity(alias.Identity{Address: "brad@gmail.example", SMTP: smtp}, t0)
	x := a.Identity("brad@gmail.example")
	steps := []struct {
		name string
		op   func() error
		want alias.IdentityStatus
	}{
		{"A8/login succeeds → verified without mail", func() error { return a.IdentityAuthenticated("brad@gmail.example", t0) }, alias.StatusVerified},
		{"A8/password changed → failed, re-auth needed", func() error { return a.IdentityAuthFailed("brad@gmail.example", t0) }, alias.StatusFailed},
		{"A8/new credentials → pending", func() error {
			return a.SetIdentitySMTP("brad@gmail.example", &alias.SMTPServer{Host: "smtp.gmail.com", CredentialRef: "vault:brad:2"}, t0)
		}, alias.StatusPending},
		{"A8/re-authenticated → verified", func() error { return a.IdentityAuthenticated("brad@gmail.example", t0) }, alias.StatusVerified},
	}
	for _, s := range steps {
		if err := s.op(); err != nil || x.Status != s.want {
			t.Errorf("%s: err %v, status %s", s.name, err, x.Status)
		}
	}
	if x.SMTP.CredentialRef != "vault:brad:2" {
		t.Errorf("credential ref = %q", x.SMTP.CredentialRef)
	}
	smtp.Host = "changed"
	if x.SMTP.Host == "changed" {
		t.Error("AddIdentity kept the caller's pointer")
	}
	if err := a.IdentityAuthFailed("support@acme.example", t0); !errors.Is(err, alias.ErrNotFound) {
		t.Errorf("unknown identity: %v", err)
	}
}

func TestSender(t *testing.T) {
	base := func() *alias.Account {
		a := &alias.Account{ID: "acme"}
		a.AddDepartment(alias.Department{ID: "support"})
		a.AddDepartment(alias.Department{ID: "sales"})
		a.AddAddress(alias.SupportAddress{Address: "support@acme.example", Name: "Acme Support", PlatformAddress: "support@acme.desk.example"})
		a.AddAddress(alias.SupportAddress{Address: "sales@acme.example", Name: "Acme Sales", Department: "sales"})
		return a
	}
	verified := func(a *alias.Account, addr, name, dept string) {
		a.AddIdentity(alias.Identity{Address: addr, Name: name, Department: dept, SMTP: &alias.SMTPServer{Host: "h"}}, t0)
		a.IdentityAuthenticated(addr, t0)
	}
	tests := []struct {
		name     string
		setup    func(a *alias.Account)
		dept     string
		agent    string
		from, cc string
	}{
		{"A7/default support address when no identity", nil, "support", "Brad", "Acme Support <support@acme.example>", ""},
		{"A7/pending identity is not used", func(a *alias.Account) { a.AddIdentity(alias.Identity{Address: "news@acme.example"}, t0) }, "", "", "Acme Support <support@acme.example>", ""},
		{"A7/verified department identity", func(a *alias.Account) {
			verified(a, "team@acme.example", "Team", "")
			verified(a, "deals@acme.example", "Deals", "sales")
		}, "sales", "", "Deals <deals@acme.example>", ""},
		{"A7/account-wide identity for another department", func(a *alias.Account) {
			verified(a, "team@acme.example", "Team", "")
			verified(a, "deals@acme.example", "Deals", "sales")
		}, "support", "", "Team <team@acme.example>", ""},
		{"A10/agent name in From", func(a *alias.Account) { a.Settings.AgentNameInFrom = true }, "", "Brad", "Brad <support@acme.example>", ""},
		{"A10/agent name with specials is quoted", func(a *alias.Account) { a.Settings.AgentNameInFrom = true }, "", "Smith, Brad", `"Smith, Brad" <support@acme.example>`, ""},
		{"A10/Japanese agent name is RFC 2047 encoded", func(a *alias.Account) { a.Settings.AgentNameInFrom = true }, "", "山田 太郎", "=?utf-8?b?5bGx55SwIOWkqumDjg==?= <support@acme.example>", ""},
		{"A10/off keeps the address name", nil, "", "Brad", "Acme Support <support@acme.example>", ""},
		{"A9/auto-CC the department's support address", func(a *alias.Account) { a.Settings.AutoCC = true }, "sales", "", "Acme Support <support@acme.example>", "Acme Sales <sales@acme.example>"},
		{"A9/auto-CC the default address", func(a *alias.Account) { a.Settings.AutoCC = true }, "support", "", "Acme Support <support@acme.example>", "Acme Support <support@acme.example>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := base()
			if tc.setup != nil {
				tc.setup(a)
			}
			s, err := a.Sender(tc.dept, tc.agent)
			if err != nil {
				t.Fatal(err)
			}
			if s.FromHeader != tc.from || s.CcHeader != tc.cc {
				t.Errorf("From %q Cc %q\nwant %q Cc %q", s.FromHeader, s.CcHeader, tc.from, tc.cc)
			}
			if got, err := deskmail.ParseAddress(s.FromHeader); err != nil || got.Key() != s.From.Key() || (tc.agent != "" && a.Settings.AgentNameInFrom && got.Name != tc.agent) {
				t.Errorf("From does not re-parse: %+v %v", got, err)
			}
		})
	}
	if _, err := base().Sender("", "Brad\r\nBcc: x@y"); !errors.Is(err, deskmail.ErrHeaderInjection) {
		t.Errorf("A10/header injection in agent name: %v", err)
	}
	if _, err := (&alias.Account{ID: "empty"}).Sender("", ""); !errors.Is(err, alias.ErrNoSender) {
		t.Errorf("no address: %v", err)
	}
}

func TestFetchHealth(t *testing.T) {
	type step struct {
		o     alias.FetchOutcome
		n     int
		wantD bool
	}
	tests := []struct {
		name   string
		policy *alias.HealthPolicy
		steps  []step
		reason alias.FetchOutcome
	}{
		{"A13/10 consecutive auth failures disable", nil, []step{{alias.FetchAuthFailure, 9, false}, {alias.FetchAuthFailure, 1, true}}, alias.FetchAuthFailure},
		{"A13/50 consecutive connection failures disable", nil, []step{{alias.FetchConnFailure, 49, false}, {alias.FetchConnFailure, 1, true}}, alias.FetchConnFailure},
		{"A13/a success resets the count", nil, []step{{alias.FetchAuthFailure, 9, false}, {alias.FetchOK, 1, false}, {alias.FetchAuthFailure, 9, false}}, ""},
		{"A13/kinds do not add up", nil, []step{{alias.FetchAuthFailure, 9, false}, {alias.FetchConnFailure, 1, false}, {alias.FetchAuthFailure, 9, false}}, ""},
		{"A13/certificate failures are their own kind", nil, []step{{alias.FetchCertFailure, 49, false}, {alias.FetchCertFailure, 1, true}}, alias.FetchCertFailure},
		{"A13/configurable thresholds", &alias.HealthPolicy{AuthFailureLimit: 3, ConnFailureLimit: 5, CertFailureLimit: 2},
			[]step{{alias.FetchCertFailure, 1, false}, {alias.FetchCertFailure, 1, true}}, alias.FetchCertFailure},
		{"A13/configurable auth threshold", &alias.HealthPolicy{AuthFailureLimit: 3}, []step{{alias.FetchAuthFailure, 2, false}, {alias.FetchAuthFailure, 1, true}}, alias.FetchAuthFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h alias.FetchHealth
			for _, s := range tc.steps {
				for i := 0; i < s.n; i++ {
					d := tc.policy.Record(&h, s.o, "detail", t0)
					if i == s.n-1 && d != s.wantD {
						t.Fatalf("after %d × %s: disabled %v, want %v (%+v)", s.n, s.o, d, s.wantD, h)
					}
				}
			}
			if h.DisabledReason != tc.reason || h.Disabled != (tc.reason != "") {
				t.Errorf("health = %+v, want reason %q", h, tc.reason)
			}
		})
	}
}

func TestHealthMonitor(t *testing.T) {
	s := alias.NewMemoryStore()
	m := &alias.HealthMonitor{Store: s, Now: func() time.Time { return t0 }}
	ctx := context.Background()
	var h alias.FetchHealth
	for i := 0; i < 10; i++ {
		h, _ = m.Record(ctx, "acme", "imap:support", alias.FetchAuthFailure, "535 authentication failed")
	}
	if !h.Disabled || !h.DisabledAt.Equal(t0) {
		t.Fatalf("A13/disabled after 10: %+v", h)
	}
	h, _ = m.Record(ctx, "acme", "imap:support", alias.FetchOK, "")
	if !h.Disabled {
		t.Error("A13/a success while disabled must not re-enable (only new credentials do)")
	}
	h, err := m.CredentialsChanged(ctx, "acme", "imap:support")
	if err != nil || h.Disabled || h.AuthFailures != 0 {
		t.Errorf("A13/new credentials re-enable: %+v %v", h, err)
	}
}

func TestForwardingCheck(t *testing.T) {
	now := t0
	f := &alias.ForwardingCheck{Keyring: keyring(t), Now: func() time.Time { return now }}
	sa := alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "support@acme.desk.example"}
	m, err := f.Mail("acme", sa)
	if err != nil {
		t.Fatal(err)
	}
	if m.To != "support@acme.example" || !strings.Contains(m.Subject, m.Token) {
		t.Errorf("check mail = %+v", m)
	}
	cases := []struct {
		name string
		h    textproto.MIMEHeader
		err  error
	}{
		{"A3/token in header", hdr(alias.ForwardingCheckHeader, m.Token), nil},
		{"A3/token in subject only (header dropped by the forwarder)", hdr("Subject", "Fwd: "+m.Subject), nil},
		{"A3/token in upper case subject", hdr("Subject", strings.ToUpper(m.Subject)), nil},
		{"A3/ordinary mail", hdr("Subject", "Help please"), alias.ErrNotForwardingCheck},
		{"A3/forged token", hdr(alias.ForwardingCheckHeader, strings.Repeat("a", 40)), alias.ErrTokenInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acct, addr, err := f.Recognize(c.h)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Errorf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil || acct != "acme" || addr != "support@acme.example" {
				t.Errorf("Recognize = %q %q %v", acct, addr, err)
			}
		})
	}
	now = t0.Add(alias.DefaultForwardingCheckTTL + time.Second)
	if _, _, err := f.Recognize(hdr(alias.ForwardingCheckHeader, m.Token)); !errors.Is(err, alias.ErrTokenExpired) {
		t.Errorf("A3/expired check: %v", err)
	}
	if _, err := f.Mail("acme", alias.SupportAddress{Address: "sales@acme.desk.example"}); err == nil {
		t.Error("A3/check mail for a platform address")
	}
	// An identity token is not a forwarding token.
	v := &alias.Verifier{Keyring: keyring(t), Now: func() time.Time { return t0 }}
	a := &alias.Account{ID: "acme"}
	a.AddIdentity(alias.Identity{Address: "x@acme.example"}, t0)
	it, _ := v.Issue(a, "x@acme.example")
	now = t0
	if _, _, err := f.Recognize(hdr(alias.ForwardingCheckHeader, it)); !errors.Is(err, alias.ErrTokenInvalid) {
		t.Errorf("A3/identity token accepted as forwarding check: %v", err)
	}
}

func TestParseConfirmation(t *testing.T) {
	body := []byte("mary@gmail.com has requested to automatically forward mail to your email address support@acme.desk.example.\r\n" +
		"Confirmation code: 123456789\r\n\r\nTo allow mary@gmail.com to automatically forward mail to your address, please click the link below to confirm the request:\r\n\r\n" +
		"https://mail-settings.google.com/mail/vf-%5BANGjdJ8%5D-abc=\r\ndef\r\n\r\nIf you click the link and it appears to be broken...")
	tests := []struct {
		name      string
		h         textproto.MIMEHeader
		body      []byte
		code      string
		link      string
		requester string
		err       error
	}{
		{"A3/English subject", hdr("From", "Gmail Team <forwarding-noreply@google.com>", "Subject", "(#123456789) Gmail Forwarding Confirmation - Receive Mail from mary@gmail.com"), body,
			"123456789", "https://mail-settings.google.com/mail/vf-%5BANGjdJ8%5D-abcdef", "mary@gmail.com", nil},
		{"A3/Japanese subject, RFC 2047", hdr("From", "forwarding-noreply@google.com", "Subject", "=?UTF-8?B?KCM5ODc2NTQzMjEpIEdtYWlsIOOBrui7oumAgeOBrueiuuiqjQ==?="), nil,
			"987654321", "", "", nil},
		{"A3/French subject", hdr("From", "<forwarding-noreply@google.com>", "Subject", "(#555000111) Confirmation de transfert Gmail - Recevoir des e-mails de x@y.fr"), nil,
			"555000111", "", "x@y.fr", nil},
		{"A3/code only in the body", hdr("From", "forwarding-noreply@google.com", "Subject", "Gmail Forwarding Confirmation"), body,
			"123456789", "https://mail-settings.google.com/mail/vf-%5BANGjdJ8%5D-abcdef", "mary@gmail.com", nil},
		{"A3/other sender", hdr("From", "someone@google.com", "Subject", "(#123456789) Gmail Forwarding Confirmation"), nil, "", "", "", alias.ErrNotConfirmation},
		{"A3/no code", hdr("From", "forwarding-noreply@google.com", "Subject", "Hello"), nil, "", "", "", alias.ErrNotConfirmation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := alias.ParseConfirmation(tc.h, tc.body)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || c.Code != tc.code || c.Link != tc.link || c.Requester != tc.requester || c.Provider != "gmail" {
				t.Errorf("got %+v, %v\nwant code %q link %q requester %q", c, err, tc.code, tc.link, tc.requester)
			}
		})
	}
}

func TestOwnsAndParticipants(t *testing.T) {
	a := &alias.Account{ID: "acme"}
	a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "support@acme.desk.example"})
	a.AddIdentity(alias.Identity{Address: "brad@acme.example"}, t0)
	a.AddIdentity(alias.Identity{Address: "gone@acme.example"}, t0)
	a.DeleteIdentity("gone@acme.example", t0)
	mk := func(s string) deskmail.Address { x, _ := deskmail.ParseAddress(s); return x }
	tests := []struct {
		name string
		addr string
		kind alias.OwnerKind
	}{
		{"A14/identity is own", "Brad <BRAD@acme.example>", alias.OwnerIdentity},
		{"A14/support address is own", "support@acme.example", alias.OwnerSupportAddress},
		{"A14/platform address is own", "support@acme.desk.example", alias.OwnerPlatformAddress},
		{"A14/sub-address of a support address is own", "support+x@acme.example", alias.OwnerSupportAddress},
		{"A14/deleted identity is not own", "gone@acme.example", ""},
		{"A14/customer is not own", "mary@example.org", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := a.Owns(mk(tc.addr), "")
			if ok != (tc.kind != "") || o.Kind != tc.kind {
				t.Errorf("Owns = %+v, %v; want kind %q", o, ok, tc.kind)
			}
		})
	}
	var asked []string
	dir := alias.DirectoryFunc(func(ctx context.Context, account string, keys []string) ([]alias.Contact, error) {
		asked = keys
		return []alias.Contact{{ID: "c1", Kind: "contact", Address: "Mary@Example.org"}, {ID: "l7", Kind: "lead", Address: "mary@example.org"}, {ID: "zz", Address: "stranger@x.example"}}, nil
	})
	got, err := alias.MatchParticipants(context.Background(), dir, a, []deskmail.Address{
		mk("Mary <mary@EXAMPLE.org>"), mk("support@acme.example"), mk("bob@example.net"), mk("mary@example.org"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, ",") != "mary@example.org,bob@example.net" {
		t.Errorf("A15/directory asked for %q", asked)
	}
	if len(got) != 2 || got[0].Address != "mary@example.org" || len(got[0].Contacts) != 2 || got[1].Address != "bob@example.net" || len(got[1].Contacts) != 0 {
		t.Errorf("A15/matches = %+v", got)
	}
	boom := errors.New("crm down")
	_, err = alias.MatchParticipants(context.Background(), alias.DirectoryFunc(func(context.Context, string, []string) ([]alias.Contact, error) { return nil, boom }), a, []deskmail.Address{mk("x@y.example")})
	if !errors.Is(err, boom) {
		t.Errorf("directory error: %v", err)
	}
}

func TestReplyPrivate(t *testing.T) {
	mk := func(s string) deskmail.Address { x, _ := deskmail.ParseAddress(s); return x }
	mary := mk("Mary <mary@customer.example>")
	tests := []struct {
		name      string
		auto      bool
		rcpts     []string
		forwarded bool
		want      bool
	}{
		{"A12/setting off: public even without the customer", false, []string{"boss@acme.example"}, false, false},
		{"A12/customer left out: private", true, []string{"boss@acme.example"}, false, true},
		{"A12/customer among the recipients: public", true, []string{"boss@acme.example", "MARY@customer.example"}, false, false},
		{"A12/customer by sub-address: public", true, []string{"mary+x@customer.example"}, false, false},
		{"A12/forwarded threads are always private", false, []string{"mary@customer.example"}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &alias.Account{ID: "acme", Settings: alias.Settings{AutoPrivate: tc.auto}}
			var rs []deskmail.Address
			for _, r := range tc.rcpts {
				rs = append(rs, mk(r))
			}
			if got := a.ReplyPrivate(mary, rs, tc.forwarded); got != tc.want {
				t.Errorf("ReplyPrivate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSMTPEndpoint(t *testing.T) {
	tests := []struct {
		s    alias.SMTPServer
		addr string
		tls  bool
	}{
		{alias.SMTPServer{Host: "smtp.gmail.com"}, "smtp.gmail.com:587", false},
		{alias.SMTPServer{Host: "smtp.gmail.com", Security: "tls"}, "smtp.gmail.com:465", true},
		{alias.SMTPServer{Host: "::1", Port: 2525, Security: "none"}, "[::1]:2525", false},
	}
	for _, tc := range tests {
		if addr, tls := tc.s.Endpoint(); addr != tc.addr || tls != tc.tls {
			t.Errorf("A8/Endpoint(%+v) = %s %v, want %s %v", tc.s, addr, tls, tc.addr, tc.tls)
		}
	}
}

func TestRouteConcurrentWithUpdates(t *testing.T) {
	s := fixture(t)
	r, _ := alias.NewRouter(s, nil)
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			on := i%2 == 0
			if err := s.UpdateAccount(ctx, "acme", func(a *alias.Account) error { return a.SetFetching("sales@acme.desk.example", on) }); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	h := hdr("To", "sales@acme.desk.example")
	for i := 0; i < 200; i++ {
		rt, err := r.Route(ctx, nil, h)
		if err != nil || rt.Account != "acme" || rt.Address != "sales@acme.desk.example" {
			t.Fatalf("route during updates: %+v %v", rt.Match, err)
		}
		if (rt.Drop == alias.DropAddressDisabled) != rt.Disabled {
			t.Fatalf("drop %q with disabled %v", rt.Drop, rt.Disabled)
		}
	}
	<-done
}

// A2: the account trusts ARC seals of its own forwarding domains and of the
// sealers it lists, each once, lower-case.
func TestAccountARCSealers(t *testing.T) {
	a := &alias.Account{ID: "acme"}
	_ = a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"})
	_ = a.AddAddress(alias.SupportAddress{Address: "sales@desk.example"})
	a.Settings.ARCSealers = []string{"Google.com.", "acme.example", ""}
	got := a.ARCSealers()
	want := []string{"acme.example", "google.com"}
	if !slices.Equal(got, want) {
		t.Errorf("ARCSealers() = %q, want %q", got, want)
	}
	got[0] = "x"
	if a.Clone().ARCSealers()[0] != "acme.example" {
		t.Error("ARCSealers shares its slice")
	}
}
