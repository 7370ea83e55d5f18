package inbound_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
)

// summary is the part of a decision the hostile-mail table pins.
func summary(d *inbound.Decision) string {
	return fmt.Sprintf("%s held=%s ticket=%s contact=%s agent=%v private=%v authenticated=%v noauto=%v reasons=%s",
		d.Action, d.Held, d.Ticket, d.ContactAddr, d.Agent, d.Private, d.Authenticated, d.NoAutoResponse, codes(d))
}

// checkSanitised fails when a reason text, a threading note or the
// decision's JSON-bound texts hold a control or format character.
func checkSanitised(t *testing.T, d *inbound.Decision) {
	t.Helper()
	texts := []string{}
	for _, r := range d.Reasons {
		texts = append(texts, r.Text)
	}
	if d.Thread != nil {
		texts = append(texts, d.Thread.Reason.Text)
		for _, n := range d.Thread.Notes {
			texts = append(texts, n.Text)
		}
	}
	for _, s := range texts {
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("reason text holds %U: %q", r, s)
			}
		}
	}
}

func spoofed(from string) *deskmail.Envelope {
	return &deskmail.Envelope{From: from, To: []string{"support@acme.desk.example"}, ClientIP: spoofIP, HELO: "evil.example"}
}

func fromAcme(from string) *deskmail.Envelope {
	return &deskmail.Envelope{From: from, To: []string{"support@acme.desk.example"}, ClientIP: acmeIP, HELO: "mail.acme.example"}
}

// hostileName is a display name and subject text carrying ESC, CR, LF and
// NUL once RFC 2047 decodes them.
const hostileName = "=?utf-8?q?Mary=1B[2J=0D=0ABcc:_x@evil.example=00?="

// TestHostileMail pins the decision for each attack on the pipeline. The
// expected decisions never change: an attack that starts to succeed shows
// up here as a changed line.
func TestHostileMail(t *testing.T) {
	w := newWorld(t, nil)
	otherRef := w.sent(t, "1001", "m9")
	rp, err := w.verp.ReturnPath("acme", "gone@customer.example", w.ourID)
	if err != nil {
		t.Fatal(err)
	}
	hostileForward := strings.Replace(agentForward, "From: Mary Major <mary@customer.example>", "From: "+hostileName+" <mary@customer.example>", 1)
	tests := []struct {
		name string
		env  *deskmail.Envelope
		raw  string
		want string
	}{
		{
			name: "B10/forged bounce about a message we never sent",
			env:  &deskmail.Envelope{To: []string{"support@acme.desk.example"}, ClientIP: spoofIP},
			raw:  dsn("support@acme.example", "mary@customer.example", "5.1.1", "not-ours@spoof.example"),
			want: "drop held= ticket= contact= agent=false private=false authenticated=false noauto=true reasons=auth_fail,bounce_not_ours",
		},
		{
			name: "B10/forged VERP token",
			env:  &deskmail.Envelope{To: []string{forge(rp)}, ClientIP: spoofIP},
			raw:  dsn(forge(rp), "mary@customer.example", "5.1.1", "x@spoof.example"),
			want: "drop held= ticket= contact= agent=false private=false authenticated=false noauto=true reasons=auth_fail,bounce_not_ours",
		},
		{
			name: "B6/a real bounce is applied",
			env:  &deskmail.Envelope{To: []string{rp}, ClientIP: mtaIP, HELO: "mta.example"},
			raw:  dsn(rp, "gone@customer.example", "5.1.1", w.ourID),
			want: "bounce_processed held= ticket=1001 contact=gone@customer.example agent=false private=false authenticated=false noauto=true reasons=auth_fail,bounce",
		},
		{
			name: "B6/the same bounce replayed changes nothing and is dropped",
			env:  &deskmail.Envelope{To: []string{rp}, ClientIP: spoofIP},
			raw:  dsn(rp, "gone@customer.example", "5.1.1", w.ourID),
			want: "drop held= ticket=1001 contact=gone@customer.example agent=false private=false authenticated=false noauto=true reasons=auth_fail,bounce_replayed",
		},
		{
			name: "T3/spoofed agent attaching by subject number",
			env:  spoofed("brad@acme.example"),
			raw:  mail("Close this", "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: [#1001] refund approved"),
			want: "new_ticket held= ticket= contact=brad@acme.example agent=false private=false authenticated=false noauto=false reasons=auth_fail_policy_none,routed,via_customer_fwd,agent_unauthenticated,new_ticket",
		},
		{
			name: "A11/spoofed agent forward naming another sender",
			env:  spoofed("brad@acme.example"),
			raw:  mail(agentForward, "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: Fwd: Broken widget"),
			want: "new_ticket held= ticket= contact=brad@acme.example agent=false private=false authenticated=false noauto=false reasons=auth_fail_policy_none,routed,via_customer_fwd,agent_unauthenticated,new_ticket",
		},
		{
			name: "A12/spoofed agent reply with a real Message-ID is a private note, not a public reply",
			env:  spoofed("brad@acme.example"),
			raw:  mail("Your refund is cancelled", "From: Brad <brad@acme.example>", "To: mary@customer.example", "Cc: support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">"),
			want: "append held= ticket=1001 contact=brad@acme.example agent=false private=true authenticated=false noauto=false reasons=auth_fail_policy_none,routed,via_customer_fwd,agent_unauthenticated,threaded,stranger",
		},
		{
			name: "A14/spoofed outgoing copy from the support address",
			env:  spoofed("support@acme.example"),
			raw:  mail("Here is the quote", "From: Acme Support <support@acme.example>", "To: Mary <mary@customer.example>", "Subject: Quote"),
			want: "new_ticket held= ticket= contact=support@acme.example agent=false private=false authenticated=false noauto=true reasons=auth_fail_policy_none,routed,via_customer_fwd,agent_unauthenticated,new_ticket",
		},
		{
			name: "T1/forged thread token",
			env:  fromCustomer("support@acme.desk.example"),
			raw:  mail("x", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: x", "In-Reply-To: <"+forge(w.ourID)+">"),
			want: "new_ticket held= ticket= contact=mary@customer.example agent=false private=false authenticated=true noauto=false reasons=auth_pass,routed,via_customer_fwd,new_ticket",
		},
		{
			name: "T1/replayed thread token from a stranger joins as a private note",
			env:  &deskmail.Envelope{From: "eve@else.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP},
			raw:  mail("I am Mary now", "From: eve@else.example", "To: support@acme.example", "Subject: Re: Your order", "References: <"+otherRef+">"),
			want: "append held= ticket=1001 contact=eve@else.example agent=false private=true authenticated=false noauto=false reasons=auth_none,routed,via_customer_fwd,threaded,stranger",
		},
		{
			name: "T4/guessed ticket number from a stranger",
			env:  &deskmail.Envelope{From: "spam@spam.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP},
			raw:  mail("Buy now", "From: spam@spam.example", "To: support@acme.example", "Subject: Offer [#1001] [#1002] [#1]"),
			want: "new_ticket held= ticket= contact=spam@spam.example agent=false private=false authenticated=false noauto=false reasons=auth_none,routed,via_customer_fwd,new_ticket",
		},
		{
			name: "A3/forged Gmail forwarding confirmation is not trusted",
			env:  &deskmail.Envelope{From: "forwarding-noreply@google.com", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP},
			raw: mail("help@acme.example has requested to automatically forward mail to your email address support@acme.desk.example.\nConfirmation code: 482913377\n\nhttps://evil.example/mail-settings.google.com/vf-sample\n",
				"From: Gmail Team <forwarding-noreply@google.com>", "To: support@acme.desk.example",
				"Subject: (#482913377) Gmail Forwarding Confirmation - Receive Mail from support@acme.example"),
			want: "confirmation held= ticket= contact= agent=false private=false authenticated=false noauto=true reasons=auth_none,forwarding_confirm",
		},
		{
			name: "D4/spoofed customer under p=reject is suspended",
			env:  spoofed("mary@customer.example"),
			raw:  mail("New bank details", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">"),
			want: "suspend held=append ticket=1001 contact=mary@customer.example agent=false private=false authenticated=false noauto=true reasons=auth_fail,routed,via_customer_fwd,threaded,auth_fail",
		},
		{
			name: "hostile display name and subject",
			env:  fromCustomer("support@acme.desk.example"),
			raw:  mail("x", "From: "+hostileName+" <mary@customer.example>", "To: support@acme.example", "Subject: "+hostileName, "Auto-Submitted: auto-replied"),
			want: "new_ticket held= ticket= contact=mary@customer.example agent=false private=false authenticated=true noauto=true reasons=auth_pass,auto_reply,routed,via_customer_fwd,new_ticket",
		},
		{
			name: "hostile display name in an agent's forwarded block",
			env:  fromAcme("brad@acme.example"),
			raw:  mail(hostileForward, "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: Fwd: "+hostileName),
			want: "new_ticket held= ticket= contact=mary@customer.example agent=true private=true authenticated=true noauto=false reasons=auth_pass,routed,via_customer_fwd,new_ticket,agent_forward,private_forwarded",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := w.process(t, tc.env, tc.raw)
			if got := summary(d); got != tc.want {
				t.Errorf("decision changed\n got %s\nwant %s", got, tc.want)
			}
			checkSanitised(t, d)
		})
	}
}

// TestAuthenticatedAgentKeepsPrivileges: the scenarios of TestHostileMail
// from brad's own, SPF-aligned server still append, forward in, go private
// and file outgoing copies.
func TestAuthenticatedAgentKeepsPrivileges(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		name string
		env  *deskmail.Envelope
		raw  string
		want string
	}{
		{
			name: "T3/authenticated agent attaches by subject number",
			env:  fromAcme("brad@acme.example"),
			raw:  mail("Close this", "From: Brad <brad@acme.example>", "To: support@acme.example, mary@customer.example", "Subject: [#1001] refund approved"),
			want: "append held= ticket=1001 contact=brad@acme.example agent=true private=false authenticated=true noauto=false reasons=auth_pass,routed,via_customer_fwd,threaded",
		},
		{
			name: "A11/authenticated agent forward opens the ticket for the original sender",
			env:  fromAcme("brad@acme.example"),
			raw:  mail(agentForward, "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: Fwd: Broken widget"),
			want: "new_ticket held= ticket= contact=mary@customer.example agent=true private=true authenticated=true noauto=false reasons=auth_pass,routed,via_customer_fwd,new_ticket,agent_forward,private_forwarded",
		},
		{
			name: "A12/authenticated agent reply leaving out the customer is private",
			env:  fromAcme("brad@acme.example"),
			raw:  mail("FYI", "From: Brad <brad@acme.example>", "To: boss@acme.example, support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">"),
			want: "append held= ticket=1001 contact=brad@acme.example agent=true private=true authenticated=true noauto=false reasons=auth_pass,routed,via_customer_fwd,threaded,private_reply",
		},
		{
			name: "A12/authenticated agent reply to the customer is public",
			env:  fromAcme("brad@acme.example"),
			raw:  mail("Done", "From: Brad <brad@acme.example>", "To: mary@customer.example", "Cc: support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">"),
			want: "append held= ticket=1001 contact=brad@acme.example agent=true private=false authenticated=true noauto=false reasons=auth_pass,routed,via_customer_fwd,threaded",
		},
		{
			name: "A14/authenticated outgoing copy",
			env:  fromAcme("support@acme.example"),
			raw:  mail("Here is the quote", "From: Acme Support <support@acme.example>", "To: Mary <mary@customer.example>", "Subject: Quote"),
			want: "outgoing_copy held= ticket= contact=mary@customer.example agent=false private=false authenticated=true noauto=true reasons=auth_pass,routed,via_customer_fwd,outgoing_copy,new_ticket",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := w.process(t, tc.env, tc.raw)
			if got := summary(d); got != tc.want {
				t.Errorf("decision changed\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestTrustedPath: on a path the host authenticated (Options.Trusted), an
// agent keeps its privileges without SPF or DKIM, and nothing is
// suspended; on an untrusted path without authentication (fetched mail,
// SkipAuth) an agent's address gets none.
func TestTrustedPath(t *testing.T) {
	raw := mail("Close this", "From: Brad <brad@acme.example>", "To: support@acme.example, mary@customer.example", "Subject: [#1001] refund approved")
	env := &deskmail.Envelope{From: "brad@acme.example", To: []string{"support@acme.desk.example"}}
	tests := []struct {
		name string
		mod  func(*inbound.Options)
		want string
	}{
		{"T3/trusted submission path keeps the agent's privileges", func(o *inbound.Options) { o.Trusted = true },
			"append held= ticket=1001 contact=brad@acme.example agent=true private=false authenticated=true noauto=false reasons=auth_trusted,routed,via_customer_fwd,threaded"},
		{"T3/fetched mail without authentication gets no privileges", nil,
			"new_ticket held= ticket= contact=brad@acme.example agent=false private=false authenticated=false noauto=false reasons=auth_skipped,routed,via_customer_fwd,agent_unauthenticated,new_ticket"},
		{"T3/SkipAuth gets no privileges", func(o *inbound.Options) { o.SkipAuth = true },
			"new_ticket held= ticket= contact=brad@acme.example agent=false private=false authenticated=false noauto=false reasons=auth_skipped,routed,via_customer_fwd,agent_unauthenticated,new_ticket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.mod)
			d := w.process(t, env, raw)
			if got := summary(d); got != tc.want {
				t.Errorf("decision changed\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestUnauthenticatedReasonSaysWhatWasMissing: the agent_unauthenticated
// text names the agent, the checks and the domain.
func TestUnauthenticatedReasonSaysWhatWasMissing(t *testing.T) {
	w := newWorld(t, nil)
	d := w.process(t, spoofed("brad@acme.example"), mail("x", "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: [#1001]"))
	r, ok := d.Why(inbound.CodeAgentUnauthenticated)
	if !ok {
		t.Fatalf("no agent_unauthenticated: %s", codes(d))
	}
	const want = "From brad@acme.example is an agent, but neither SPF nor DKIM passed aligned with acme.example (DMARC fail, policy none)"
	if !strings.HasPrefix(r.Text, want) {
		t.Fatalf("text %q, want it to start %q", r.Text, want)
	}
	if a, _ := d.Why(inbound.CodeAuthFailPolicyNone); a.Code == "" {
		t.Fatalf("a DMARC failure under p=none must not read auth_pass: %s", codes(d))
	}
	if _, ok := d.Why(inbound.CodeAuthPass); ok {
		t.Fatalf("auth_pass for a failure: %s", codes(d))
	}
}

// TestReasonsQuoteMailSanitised: a reason that quotes the mail (here the
// header line the parser refused) carries it escaped, never its control
// characters.
func TestReasonsQuoteMailSanitised(t *testing.T) {
	w := newWorld(t, nil)
	raw := "From: mary@customer.example\r\nEvil\x1b[2J\x00\u202e line without a colon\r\n\r\nbody"
	d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
	r, ok := d.Why(inbound.CodeMalformed)
	if !ok {
		t.Fatalf("no malformed: %s", codes(d))
	}
	if !strings.Contains(r.Text, `Evil\x1b[2J\x00\u202e`) {
		t.Fatalf("the line is not quoted escaped: %q", r.Text)
	}
	checkSanitised(t, d)
}
