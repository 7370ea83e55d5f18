package threading_test

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/threading"
	"github.com/deskmail/deskmail/threading/threadingtest"
)

var (
	secretOld = []byte("old-secret-0123456789abcdef")
	secretNew = []byte("new-secret-0123456789abcdef")
)

type fixture struct {
	th      *threading.Threader
	index   *threading.MemoryStore
	tickets *threadingtest.Tickets
	agents  *threadingtest.Agents
}

func newFixture(t testing.TB, mod func(*threading.Options)) *fixture {
	t.Helper()
	f := &fixture{index: threading.NewMemoryStore(), tickets: threadingtest.NewTickets(), agents: threadingtest.NewAgents()}
	opts := &threading.Options{
		Install: "acme", Keyring: deskmail.MustKeyring(secretNew, secretOld), Domain: "support.example.com",
		Index: f.index, Tickets: f.tickets, Agents: f.agents,
	}
	if mod != nil {
		mod(opts)
	}
	th, err := threading.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.th = th
	f.tickets.Put("acct1", threading.Ticket{ID: "t-42", Number: "123", Contact: "Customer@example.net", CC: []string{"cc@example.net"}, BCC: []string{"bcc@example.net"}})
	f.tickets.Put("acct1", threading.Ticket{ID: "t-43", Number: "124", Contact: "other@example.org"})
	f.tickets.Put("acct2", threading.Ticket{ID: "t-42", Number: "123", Contact: "customer@example.net"})
	f.agents.Put("acct1", "agent@support.example.com", threading.Agent{ID: "a1", Active: true})
	f.agents.Put("acct1", "light@support.example.com", threading.Agent{ID: "a2", Active: true, Restricted: true})
	f.agents.Put("acct1", "gone@support.example.com", threading.Agent{ID: "a3", Active: false})
	return f
}

func addr(t testing.TB, s string) deskmail.Address {
	t.Helper()
	a, err := deskmail.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) msgID(t testing.TB, account, ticket string) string {
	t.Helper()
	id, err := f.th.MessageID(threading.Token{Account: account, Ticket: ticket, Message: "m1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	ours := f.msgID(t, "acct1", "t-42")
	oursOther := f.msgID(t, "acct2", "t-42")
	oursAcct1T43 := f.msgID(t, "acct1", "t-43")
	// Signed with the previous secret only (before rotation).
	oldTh, _ := threading.New(&threading.Options{Install: "acme", Keyring: deskmail.MustKeyring(secretOld), Domain: "support.example.com"})
	oldID, _ := oldTh.MessageID(threading.Token{Account: "acct1", Ticket: "t-42", Message: "m0"}, "")
	// Another install with the same secret.
	otherInstall, _ := threading.New(&threading.Options{Install: "rival", Domain: "desk.example", Keyring: deskmail.MustKeyring(secretNew)})
	rivalID, _ := otherInstall.MessageID(threading.Token{Account: "acct1", Ticket: "t-42", Message: "m0"}, "")
	// A forger who knows the form but not the secret.
	forger, _ := threading.New(&threading.Options{Install: "acme", Keyring: deskmail.MustKeyring([]byte("guessed-secret-000000000")), Domain: "support.example.com"})
	forged, _ := forger.MessageID(threading.Token{Account: "acct1", Ticket: "t-43", Message: "m9"}, "")
	truncated := ours[:len(ours)-len("@support.example.com>")-3] + "@support.example.com>"
	tag, _ := f.th.ReplyTag("acct1", "t-42")
	forgedTag, _ := forger.ReplyTag("acct1", "t-43")
	marker, _ := f.th.BodyMarker("acct1", "t-42")
	forgedMarker, _ := forger.BodyMarker("acct1", "t-43")

	if err := f.th.Remember(ctx, "acct1", "t-42", true, "<0100018c-ses-rewritten@email.amazonses.com>"); err != nil {
		t.Fatal(err)
	}
	if err := f.th.Remember(ctx, "acct1", "t-43", false, "<customer-first@mail.example.org>"); err != nil {
		t.Fatal(err)
	}

	customer := addr(t, "Customer <customer@example.net>")
	stranger := addr(t, "stranger@evil.example")
	on := &threading.Settings{SubjectNumber: true, SubjectAgents: true, SubjectParticipants: true}
	agentsOnly := &threading.Settings{SubjectNumber: true, SubjectAgents: true}
	partsOnly := &threading.Settings{SubjectNumber: true, SubjectParticipants: true}

	tests := []struct {
		name     string
		in       threading.Inbound
		ticket   string
		method   threading.Method
		code     string
		stranger bool
		note     string // a note code that must be present
	}{
		{name: "T1/reply with our Message-ID in In-Reply-To", in: threading.Inbound{InReplyTo: ours, From: customer},
			ticket: "t-42", method: threading.MethodToken, code: "token_in_reply_to"},
		{name: "T1/client dropped In-Reply-To, References keep our id", in: threading.Inbound{References: "<x@y> " + ours + " <z@w>", From: customer},
			ticket: "t-42", method: threading.MethodToken, code: "token_references"},
		{name: "T6/lower-cased by a provider", in: threading.Inbound{InReplyTo: strings.ToLower(ours), From: customer},
			ticket: "t-42", method: threading.MethodToken},
		{name: "T6/upper-cased id", in: threading.Inbound{InReplyTo: strings.ToUpper(ours), From: customer},
			ticket: "t-42", method: threading.MethodToken},
		{name: "T6/signed before secret rotation", in: threading.Inbound{InReplyTo: oldID, From: customer},
			ticket: "t-42", method: threading.MethodToken},
		{name: "T6/provider rewrote our Message-ID: index", in: threading.Inbound{InReplyTo: "<0100018c-ses-rewritten@email.amazonses.com>", From: customer},
			ticket: "t-42", method: threading.MethodIndex, code: "index_in_reply_to"},
		{name: "T1/reply to the customer's own first mail: index", in: threading.Inbound{References: "<customer-first@mail.example.org>", From: addr(t, "other@example.org")},
			ticket: "t-43", method: threading.MethodIndex, code: "index_references"},
		{name: "T6/reply tag on the support address", in: threading.Inbound{From: customer, Recipients: []deskmail.Address{addr(t, "support+"+tag+"@support.example.com")}},
			ticket: "t-42", method: threading.MethodToken, code: "token_recipient"},
		{name: "T6/reply tag upper-cased", in: threading.Inbound{From: customer, Recipients: []deskmail.Address{addr(t, "SUPPORT+"+strings.ToUpper(tag)+"@support.example.com")}},
			ticket: "t-42", method: threading.MethodToken, code: "token_recipient"},
		{name: "T6/department tag is not a token", in: threading.Inbound{From: customer, Recipients: []deskmail.Address{addr(t, "support+billing@support.example.com")}},
			method: threading.MethodNew, code: "new_ticket"},
		{name: "T6/body marker in a quoted reply", in: threading.Inbound{From: customer, Body: "thanks\n> " + strings.ToUpper(marker) + "\n"},
			ticket: "t-42", method: threading.MethodToken, code: "token_body"},
		{name: "T5/customer's new mail with our references joins", in: threading.Inbound{Subject: "Another question", References: ours, From: customer},
			ticket: "t-42", method: threading.MethodToken},
		{name: "T1/loop: our own Message-ID comes back", in: threading.Inbound{MessageID: ours, InReplyTo: "<x@y>", From: customer},
			ticket: "t-42", method: threading.MethodLoop, code: "own_message_id"},
		{name: "T1/loop: a provider-assigned id of our mail comes back", in: threading.Inbound{MessageID: "<0100018c-ses-rewritten@email.amazonses.com>", From: customer},
			ticket: "t-42", method: threading.MethodLoop, code: "own_message_id_indexed"},
		{name: "T1/duplicate delivery", in: threading.Inbound{MessageID: "<customer-first@mail.example.org>", From: addr(t, "other@example.org")},
			ticket: "t-43", method: threading.MethodDuplicate, code: "duplicate_message_id"},
		{name: "T2/subject number off by default", in: threading.Inbound{Subject: "Re: help [#123]", From: customer},
			method: threading.MethodNew, note: "subject_number_off"},
		{name: "T4/contact with the number", in: threading.Inbound{Subject: "Re: help [#123]", From: customer, Settings: partsOnly},
			ticket: "t-42", method: threading.MethodSubject, code: "subject_number_participant"},
		{name: "T4/CC with the number", in: threading.Inbound{Subject: "help [#123]", From: addr(t, "CC@Example.net"), Settings: partsOnly},
			ticket: "t-42", method: threading.MethodSubject},
		{name: "T4/BCC with the number", in: threading.Inbound{Subject: "help [#123]", From: addr(t, "bcc@example.net"), Settings: partsOnly},
			ticket: "t-42", method: threading.MethodSubject},
		{name: "T4/hijack: stranger's subject with a valid ticket number", in: threading.Inbound{Subject: "WIN NOW [#123]", From: stranger, Settings: on},
			method: threading.MethodNew, note: "subject_number_sender_refused"},
		{name: "T4/hijack: another ticket's contact uses this number", in: threading.Inbound{Subject: "[#123]", From: addr(t, "other@example.org"), Settings: partsOnly},
			method: threading.MethodNew, note: "subject_number_sender_refused"},
		{name: "T4/agents not allowed when only participants are", in: threading.Inbound{Subject: "[#123]", From: addr(t, "agent@support.example.com"), Settings: partsOnly},
			method: threading.MethodNew},
		{name: "T3/active agent with the number", in: threading.Inbound{Subject: "Fwd: more details [#123]", From: addr(t, "agent@support.example.com"), Settings: agentsOnly, Authenticated: true},
			ticket: "t-42", method: threading.MethodSubject, code: "subject_number_agent"},
		{name: "T3/hijack: spoofed agent address, From not authenticated", in: threading.Inbound{Subject: "Fwd: more details [#123]", From: addr(t, "agent@support.example.com"), Settings: agentsOnly},
			method: threading.MethodNew, note: "subject_number_unauthenticated"},
		{name: "T1/hijack: spoofed agent replying by mail is a stranger", in: threading.Inbound{InReplyTo: ours, From: addr(t, "light@support.example.com")},
			ticket: "t-42", method: threading.MethodToken, stranger: true},
		{name: "T3/hijack: restricted agent", in: threading.Inbound{Subject: "[#123]", From: addr(t, "light@support.example.com"), Settings: agentsOnly, Authenticated: true},
			method: threading.MethodNew, note: "subject_number_restricted_agent"},
		{name: "T3/inactive agent", in: threading.Inbound{Subject: "[#123]", From: addr(t, "gone@support.example.com"), Settings: agentsOnly, Authenticated: true},
			method: threading.MethodNew},
		{name: "T3/contact not allowed when only agents are", in: threading.Inbound{Subject: "[#123]", From: customer, Settings: agentsOnly},
			method: threading.MethodNew},
		{name: "T2/unknown ticket number", in: threading.Inbound{Subject: "[#999]", From: customer, Settings: on},
			method: threading.MethodNew, note: "subject_number_unknown"},
		{name: "T2/RFC 2047 encoded subject", in: threading.Inbound{Subject: "=?UTF-8?B?UmU6IOODmOODq+ODlyBbIzEyM10=?=", From: customer, Settings: partsOnly},
			ticket: "t-42", method: threading.MethodSubject},
		{name: "T6/hijack: forged token", in: threading.Inbound{InReplyTo: forged, From: addr(t, "other@example.org")},
			method: threading.MethodNew, note: "forged_token"},
		{name: "T6/hijack: truncated token", in: threading.Inbound{InReplyTo: truncated, From: customer},
			method: threading.MethodNew, note: "forged_token"},
		{name: "T6/hijack: forged reply tag", in: threading.Inbound{From: addr(t, "other@example.org"), Recipients: []deskmail.Address{addr(t, "support+"+forgedTag+"@support.example.com")}},
			method: threading.MethodNew},
		{name: "T6/hijack: forged body marker", in: threading.Inbound{From: addr(t, "other@example.org"), Body: forgedMarker},
			method: threading.MethodNew, note: "forged_token"},
		{name: "T6/another install's token", in: threading.Inbound{InReplyTo: rivalID, From: customer},
			method: threading.MethodNew},
		{name: "T6/token of another account", in: threading.Inbound{InReplyTo: oursOther, From: customer},
			method: threading.MethodNew, note: "token_other_account"},
		{name: "T6/forged id first, real one later: the real one wins", in: threading.Inbound{InReplyTo: forged, References: ours, From: customer},
			ticket: "t-42", method: threading.MethodToken, note: "forged_token"},
		{name: "T1/In-Reply-To beats older References", in: threading.Inbound{InReplyTo: oursAcct1T43, References: ours, From: addr(t, "other@example.org")},
			ticket: "t-43", method: threading.MethodToken, code: "token_in_reply_to"},
		{name: "T1/hijack: stranger replies with a real In-Reply-To: joins as stranger", in: threading.Inbound{InReplyTo: ours, From: stranger},
			ticket: "t-42", method: threading.MethodToken, stranger: true, note: "stranger"},
		{name: "T1/active agent replying by mail is no stranger", in: threading.Inbound{InReplyTo: ours, From: addr(t, "light@support.example.com"), Authenticated: true},
			ticket: "t-42", method: threading.MethodToken},
		{name: "T1/nothing at all", in: threading.Inbound{Subject: "Hello", From: customer},
			method: threading.MethodNew, code: "new_ticket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Account = "acct1"
			m, err := f.th.Match(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			if m.Ticket != tc.ticket || m.Method != tc.method || m.Stranger != tc.stranger {
				t.Errorf("Match = ticket %q method %q stranger %v (%v, notes %v); want %q %q %v",
					m.Ticket, m.Method, m.Stranger, m.Reason, m.Notes, tc.ticket, tc.method, tc.stranger)
			}
			if tc.code != "" && m.Reason.Code != tc.code {
				t.Errorf("reason %v, want code %s", m.Reason, tc.code)
			}
			if m.Reason.Code == "" || m.Reason.Text == "" {
				t.Errorf("empty reason %+v", m.Reason)
			}
			if tc.note != "" && !hasNote(m, tc.note) {
				t.Errorf("notes %v lack %s", m.Notes, tc.note)
			}
		})
	}
}

func hasNote(m threading.Match, code string) bool {
	for _, n := range m.Notes {
		if n.Code == code {
			return true
		}
	}
	return false
}

func TestMatchStrangerNewTicket(t *testing.T) {
	f := newFixture(t, func(o *threading.Options) { o.Strangers = threading.StrangerNewTicket })
	ours := f.msgID(t, "acct1", "t-42")
	m, err := f.th.Match(context.Background(), &threading.Inbound{Account: "acct1", InReplyTo: ours, From: addr(t, "stranger@evil.example")})
	if err != nil {
		t.Fatal(err)
	}
	if m.Method != threading.MethodNew || m.Ticket != "" || m.Reason.Code != "stranger_new_ticket" {
		t.Errorf("T1/stranger with StrangerNewTicket: %+v", m)
	}
	m, _ = f.th.Match(context.Background(), &threading.Inbound{Account: "acct1", InReplyTo: ours, From: addr(t, "customer@example.net")})
	if m.Ticket != "t-42" {
		t.Errorf("T1/contact with StrangerNewTicket: %+v", m)
	}
}

func TestMatchTicketGone(t *testing.T) {
	f := newFixture(t, nil)
	ours := f.msgID(t, "acct1", "t-42")
	f.tickets.Delete("acct1", "t-42")
	m, err := f.th.Match(context.Background(), &threading.Inbound{Account: "acct1", InReplyTo: ours, From: addr(t, "customer@example.net")})
	if err != nil {
		t.Fatal(err)
	}
	if m.Method != threading.MethodNew || !hasNote(m, "ticket_gone") {
		t.Errorf("T1/deleted ticket: %+v", m)
	}
}

func TestMatchOptionsSettings(t *testing.T) {
	f := newFixture(t, func(o *threading.Options) {
		o.Settings = threading.Settings{SubjectNumber: true, SubjectParticipants: true}
	})
	m, _ := f.th.Match(context.Background(), &threading.Inbound{Account: "acct1", Subject: "Re: [#123]", From: addr(t, "customer@example.net")})
	if m.Ticket != "t-42" || m.Method != threading.MethodSubject {
		t.Errorf("T2/settings from Options: %+v", m)
	}
	off := &threading.Settings{}
	m, _ = f.th.Match(context.Background(), &threading.Inbound{Account: "acct1", Subject: "Re: [#123]", From: addr(t, "customer@example.net"), Settings: off})
	if m.Method != threading.MethodNew {
		t.Errorf("T2/per-mail settings override Options: %+v", m)
	}
}

type failingStore struct{ threading.Store }

var errDB = errors.New("db down")

func (failingStore) Lookup(context.Context, string, []string) (threading.Entry, error) {
	return threading.Entry{}, errDB
}

func TestMatchStoreError(t *testing.T) {
	f := newFixture(t, func(o *threading.Options) { o.Index = failingStore{} })
	_, err := f.th.Match(context.Background(), &threading.Inbound{Account: "acct1", InReplyTo: "<a@b>"})
	if !errors.Is(err, errDB) {
		t.Errorf("store error: %v, want errDB", err)
	}
	if _, err := f.th.Match(context.Background(), &threading.Inbound{}); err == nil {
		t.Error("no account accepted")
	}
}

func TestMatchWithoutHostLookups(t *testing.T) {
	th, err := threading.New(&threading.Options{Install: "acme", Domain: "desk.example", Keyring: deskmail.MustKeyring(secretNew)})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := th.MessageID(threading.Token{Account: "a", Ticket: "7"}, "")
	m, err := th.Match(context.Background(), &threading.Inbound{Account: "a", InReplyTo: id, Subject: "[#7]", Settings: &threading.Settings{SubjectNumber: true, SubjectParticipants: true}})
	if err != nil || m.Ticket != "7" || m.Method != threading.MethodToken {
		t.Errorf("token without Tickets: %+v, %v", m, err)
	}
	m, _ = th.Match(context.Background(), &threading.Inbound{Account: "a", Subject: "[#7]", Settings: &threading.Settings{SubjectNumber: true, SubjectParticipants: true}})
	if m.Method != threading.MethodNew {
		t.Errorf("T2/subject number without Tickets: %+v", m)
	}
}

func TestNewInbound(t *testing.T) {
	f := newFixture(t, nil)
	tag, _ := f.th.ReplyTag("acct1", "t-42")
	raw := "From: =?UTF-8?Q?Customer?= <customer@example.net>\r\n" +
		"To: Acme <support+" + tag + "@support.example.com>\r\n" +
		"Cc: cc@example.net\r\n" +
		"Message-ID: <new@example.net>\r\n" +
		"In-Reply-To: <0100018c-ses@email.amazonses.com>\r\n" +
		"Subject: Re: help\r\n\r\nbody\r\n"
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	in := threading.NewInbound("acct1", deskmail.MailHeader(msg.Header))
	if in.From.Key() != "customer@example.net" || len(in.Recipients) != 2 || in.MessageID != "<new@example.net>" || in.Subject != "Re: help" {
		t.Fatalf("NewInbound = %+v", in)
	}
	m, err := f.th.Match(context.Background(), in)
	if err != nil || m.Ticket != "t-42" || m.Reason.Code != "token_recipient" {
		t.Errorf("T6/match from header: %+v, %v", m, err)
	}
}

func TestAgentsFunc(t *testing.T) {
	tickets := threadingtest.NewTickets()
	tickets.Put("a", threading.Ticket{ID: "1", Number: "7", Contact: "c@example.net"})
	var asked string
	th, err := threading.New(&threading.Options{Install: "acme", Domain: "desk.example", Keyring: deskmail.MustKeyring(secretNew), Tickets: tickets,
		Agents: threading.AgentsFunc(func(_ context.Context, account, address string) (threading.Agent, error) {
			asked = account + " " + address
			if address == "boss@example.com" {
				return threading.Agent{ID: "b", Active: true}, nil
			}
			return threading.Agent{}, threading.ErrNotFound
		})})
	if err != nil {
		t.Fatal(err)
	}
	s := &threading.Settings{SubjectNumber: true, SubjectAgents: true}
	m, err := th.Match(context.Background(), &threading.Inbound{Account: "a", Subject: "[#7]", From: addr(t, "Boss <BOSS@Example.com>"), Authenticated: true, Settings: s})
	if err != nil || m.Ticket != "1" || asked != "a boss@example.com" {
		t.Errorf("T3/AgentsFunc: %+v, %v, asked %q", m, err, asked)
	}
	if got := threading.DecodeSubject("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= \xff"); got != "Grüße \uFFFD" {
		t.Errorf("DecodeSubject = %q", got)
	}
}
