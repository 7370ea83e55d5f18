package threading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/deskmail/deskmail"
)

// Settings are an account's (or a channel's) threading settings, the
// switches of subject-number threading. The zero value is the product default:
// tickets are joined through Message-ID, In-Reply-To, References and tokens
// only.
type Settings struct {
	// SubjectNumber lets a ticket number in the subject ("[#123]")
	// join a mail to that ticket, for senders allowed below. Off by default.
	SubjectNumber bool `json:"subject_number,omitempty"`
	// SubjectAgents allows active agents who are not restricted.
	SubjectAgents bool `json:"subject_agents,omitempty"`
	// SubjectParticipants allows the ticket's contact, CC and BCC, so
	// spam carrying random ticket numbers never attaches.
	//
	// With SubjectNumber on and neither group allowed, no sender passes:
	// a ticket number alone never attaches a mail.
	SubjectParticipants bool `json:"subject_participants,omitempty"`
}

// StrangerPolicy says what happens to a mail that matched a ticket through
// its headers, a token or the index, but whose sender is a stranger: neither
// the ticket's contact, CC or BCC, nor an active agent.
type StrangerPolicy int

const (
	// StrangerJoin, the default, joins the ticket and sets Match.Stranger,
	// and the inbound pipeline makes the mail a private note an agent can
	// act on, never a public reply, and adds no CC. A stranger holding a
	// real Message-ID of the ticket was sent the mail by a participant
	// (a colleague in a forward, a new address of the customer); losing
	// their answer would be worse, and making it private keeps them from
	// taking over the ticket. This is what Zendesk does for a non-CC reply.
	StrangerJoin StrangerPolicy = iota
	// StrangerNewTicket opens a new ticket instead.
	StrangerNewTicket
)

// Method is how a mail was matched to a ticket.
type Method string

// The methods, in the order Match tries them.
const (
	// MethodLoop: the mail's own Message-ID is one we wrote and verified,
	// or one the index holds as outbound (an id a provider gave our mail) —
	// our mail came back (a mail loop, a BCC to the support address, a
	// forwarding rule). Match.Ticket is the ticket it was sent on.
	MethodLoop Method = "loop"
	// MethodDuplicate: the mail's Message-ID is already in the index — the
	// same mail delivered or fetched twice.
	MethodDuplicate Method = "duplicate"
	// MethodToken: a verified token in In-Reply-To, References, a reply
	// tag on a recipient address or a body marker.
	MethodToken Method = "token"
	// MethodIndex: an id of In-Reply-To or References is in the index.
	MethodIndex Method = "index"
	// MethodSubject: a ticket number in the subject, with the setting on
	// and a sender the policy allows.
	MethodSubject Method = "subject"
	// MethodNew: no ticket; the host opens a new one.
	MethodNew Method = "new"
)

// Inbound is what Match needs of a received mail. Header values are passed
// as they appear in the message (RFC 2047 words are decoded here).
type Inbound struct {
	// Account is the tenant the mail arrived for (alias routing). Required.
	Account string `json:"account,omitempty"`
	// MessageID, InReplyTo and References are the raw header values.
	MessageID  string `json:"message_id,omitempty"`
	InReplyTo  string `json:"in_reply_to,omitempty"`
	References string `json:"references,omitempty"`
	// Subject is the raw Subject header value.
	Subject string `json:"subject,omitempty"`
	// From is the sender whose standing the policy checks.
	From deskmail.Address `json:"from,omitempty"`
	// Authenticated says that From is proven: it passed DMARC-aligned SPF
	// or DKIM, or the mail came through a path the host authenticated (its
	// own submission server, a fetch of the agent's own mailbox). Only an
	// authenticated From has an agent's standing — subject-number threading
	// for agents, and the exemption from the stranger check — since anyone
	// can write an agent's address into From. False: an agent's address is
	// treated as anyone else's.
	Authenticated bool `json:"authenticated,omitempty"`
	// Recipients are the addresses the mail was delivered to (envelope
	// recipients, Delivered-To, To, Cc), searched for a reply tag.
	Recipients []deskmail.Address `json:"recipients,omitempty"`
	// Body is the text of the mail, searched for a body marker. Empty: not
	// searched.
	Body string `json:"body,omitempty"`
	// Settings override Options.Settings for this mail (a channel's
	// settings). Nil: Options.Settings.
	Settings *Settings `json:"settings,omitempty"`
}

// Match is the result of matching a mail.
type Match struct {
	// Ticket is the host's ticket id, "" for MethodNew.
	Ticket string `json:"ticket,omitempty"`
	// Method is how the ticket was found.
	Method Method `json:"method"`
	// Reason explains the decision.
	Reason deskmail.Reason `json:"reason"`
	// Stranger is true when the mail joined a ticket through its headers
	// but the sender is not a participant (see StrangerJoin).
	Stranger bool `json:"stranger,omitempty"`
	// Notes are evidence that was seen and rejected: a forged token, a
	// ticket number from a sender the policy refused, and so on.
	Notes []deskmail.Reason `json:"notes,omitempty"`
}

// Ticket is what matching needs to know of a host's ticket.
type Ticket struct {
	// ID is the host's ticket id, as put in tokens and the index.
	ID string `json:"id,omitempty"`
	// Number is the ticket number shown to people and put in subjects.
	Number string `json:"number,omitempty"`
	// Contact is the address of the ticket's contact (the customer).
	Contact string `json:"contact,omitempty"`
	// CC and BCC are the addresses copied on the ticket.
	CC  []string `json:"cc,omitempty"`
	BCC []string `json:"bcc,omitempty"`
}

// Tickets looks up the host's tickets. Implementations must be safe for
// concurrent use and return ErrNotFound (or an error wrapping it) for an
// unknown, deleted or inaccessible ticket.
type Tickets interface {
	// Ticket returns account's ticket with the given id.
	Ticket(ctx context.Context, account, id string) (Ticket, error)
	// TicketByNumber returns account's ticket with the given number.
	TicketByNumber(ctx context.Context, account, number string) (Ticket, error)
}

// Agent is what matching needs to know of a helpdesk agent.
type Agent struct {
	ID string `json:"id,omitempty"`
	// Active is false for a deactivated agent.
	Active bool `json:"active,omitempty"`
	// Restricted agents (light agents, agents limited to their own
	// tickets) may not join mail to tickets through subject numbers.
	Restricted bool `json:"restricted,omitempty"`
}

// Agents is the host's agent directory. Implementations must be safe for
// concurrent use and return ErrNotFound for an address that is no agent's.
type Agents interface {
	// Agent returns account's agent with the given address (a Key, see
	// deskmail.Address.Key).
	Agent(ctx context.Context, account, address string) (Agent, error)
}

// AgentsFunc adapts a function to Agents.
type AgentsFunc func(ctx context.Context, account, address string) (Agent, error)

var _ Agents = AgentsFunc(nil)

// Agent implements Agents.
func (f AgentsFunc) Agent(ctx context.Context, account, address string) (Agent, error) {
	return f(ctx, account, address)
}

// Match finds the ticket a received mail belongs to. It tries, in order:
//
//  1. the mail's own Message-ID: one of ours that verifies, or one the
//     index holds as outbound (MethodLoop), or one the index holds as
//     received (MethodDuplicate);
//  2. a verified token for in.Account: in In-Reply-To, then References
//     newest first, then a reply tag on a recipient, then a body marker
//     (MethodToken);
//  3. the index, for the ids of In-Reply-To, then References newest first
//     (MethodIndex); this finds ids a provider assigned to our mail and ids
//     of mail we received;
//  4. the ticket number in the subject, when Settings.SubjectNumber is on
//     and the sender passes the policy (MethodSubject);
//  5. otherwise MethodNew.
//
// A token that does not verify (forged, truncated, another install's,
// another account's) is ignored and noted; it never attaches a mail. A
// ticket that a token or the index names but Tickets no longer knows is
// skipped. Matches of steps 2 and 3 are checked against the ticket's
// participants and the StrangerPolicy.
//
// Errors are only those of the Store, Tickets and Agents (other than
// ErrNotFound) and a missing account.
func (t *Threader) Match(ctx context.Context, in *Inbound) (Match, error) {
	m, err := t.match(ctx, in)
	if err == nil && t.log != nil {
		t.log.LogAttrs(ctx, slog.LevelDebug, "threading: match",
			slog.String("account", in.Account), slog.String("method", string(m.Method)),
			slog.String("ticket", m.Ticket), slog.String("reason", m.Reason.Code))
	}
	return m, err
}

func (t *Threader) match(ctx context.Context, in *Inbound) (Match, error) {
	if in == nil || in.Account == "" {
		return Match{}, errors.New("threading: match needs an account")
	}
	var m Match
	note := func(code, format string, args ...any) {
		if len(m.Notes) < 16 {
			m.Notes = append(m.Notes, deskmail.Reason{Code: code, Text: fmt.Sprintf(format, args...)})
		}
	}

	// 1. Our own id, or a duplicate.
	var self [1]string
	own := appendIDs(self[:0], in.MessageID, 1)
	if len(own) == 1 {
		tok, err := t.ParseMessageID(own[0])
		switch {
		case err == nil && tok.Account == in.Account:
			m.Ticket, m.Method = tok.Ticket, MethodLoop
			m.Reason = deskmail.Reason{Code: "own_message_id", Text: "the mail's Message-ID is one this install wrote: our own mail came back"}
			return m, nil
		case err == nil:
			note("token_other_account", "the mail's Message-ID is ours but was written for another account")
		case errors.Is(err, ErrInvalidToken):
			note("forged_message_id", "the mail's Message-ID looks like ours but its token does not verify")
		}
		if t.index != nil {
			e, err := t.index.Lookup(ctx, in.Account, own)
			if err == nil && e.Outbound {
				// An id a provider gave our mail, coming back in.
				m.Ticket, m.Method = e.Ticket, MethodLoop
				m.Reason = deskmail.Reason{Code: "own_message_id_indexed", Text: "the mail's Message-ID is indexed as one of our sent mails: our own mail came back"}
				return m, nil
			}
			if err == nil {
				m.Ticket, m.Method = e.Ticket, MethodDuplicate
				m.Reason = deskmail.Reason{Code: "duplicate_message_id", Text: "a mail with this Message-ID is already on the ticket"}
				return m, nil
			}
			if !errors.Is(err, ErrNotFound) {
				return Match{}, err
			}
		}
	}

	// Candidate ids: In-Reply-To, then References newest first.
	var buf [32]string
	ids := appendIDs(buf[:0], in.InReplyTo, maxIDs)
	nReply := len(ids)
	ids = appendIDs(ids, in.References, maxIDs)
	reverse(ids[nReply:])
	// In-Reply-To usually repeats the last reference: drop that copy. Other
	// repeats cost a map probe each and change nothing.
	if nReply == 1 && len(ids) > 1 && ids[1] == ids[0] {
		ids = append(ids[:1], ids[2:]...)
	}

	// 2. Tokens.
	for i, id := range ids {
		tok, err := t.ParseMessageID(id)
		if errors.Is(err, ErrNotOurs) {
			continue
		}
		where := "References"
		code := "token_references"
		if i < nReply {
			where, code = "In-Reply-To", "token_in_reply_to"
		}
		if err != nil {
			note("forged_token", "a Message-ID in %s looks like ours but does not verify", where)
			continue
		}
		if tok.Account != in.Account {
			note("token_other_account", "a Message-ID in %s is ours but for another account", where)
			continue
		}
		ok, err := t.accept(ctx, in, &m, tok.Ticket, MethodToken, deskmail.Reason{Code: code, Text: "a verified token in " + where + " names the ticket"})
		if ok || err != nil {
			return m, err
		}
	}
	for _, a := range in.Recipients {
		tag := a.Tag(t.sep)
		if tag == "" {
			continue
		}
		tok, err := t.ParseReplyTag(in.Account, tag)
		if err != nil {
			continue // department tags and the like are not ours
		}
		ok, err := t.accept(ctx, in, &m, tok.Ticket, MethodToken, deskmail.Reason{Code: "token_recipient", Text: "a verified reply tag on a recipient address names the ticket"})
		if ok || err != nil {
			return m, err
		}
	}
	if in.Body != "" {
		tok, err := t.ParseBodyMarker(in.Account, in.Body)
		switch {
		case err == nil:
			ok, err := t.accept(ctx, in, &m, tok.Ticket, MethodToken, deskmail.Reason{Code: "token_body", Text: "a verified marker in the body names the ticket"})
			if ok || err != nil {
				return m, err
			}
		case errors.Is(err, ErrInvalidToken):
			note("forged_token", "a marker in the body looks like ours but does not verify")
		}
	}

	// 3. Index.
	if t.index != nil && len(ids) > 0 {
		e, err := t.index.Lookup(ctx, in.Account, ids)
		switch {
		case err == nil:
			code, where := "index_references", "References"
			for _, id := range ids[:nReply] {
				if id == e.MessageID {
					code, where = "index_in_reply_to", "In-Reply-To"
				}
			}
			ok, err := t.accept(ctx, in, &m, e.Ticket, MethodIndex, deskmail.Reason{Code: code, Text: "a Message-ID in " + where + " is indexed for the ticket"})
			if ok || err != nil {
				return m, err
			}
		case !errors.Is(err, ErrNotFound):
			return Match{}, err
		}
	}

	// 4. Subject number.
	if ok, err := t.subject(ctx, in, &m, note); ok || err != nil {
		return m, err
	}

	// 5. New ticket.
	if m.Method == "" {
		m.Method = MethodNew
		m.Reason = deskmail.Reason{Code: "new_ticket", Text: "nothing in the mail names an existing ticket"}
	}
	m.Ticket = ""
	return m, nil
}

// accept checks a header match against the ticket and the stranger policy.
// It returns true when m is final.
func (t *Threader) accept(ctx context.Context, in *Inbound, m *Match, ticket string, method Method, why deskmail.Reason) (bool, error) {
	if t.tickets == nil {
		m.Ticket, m.Method, m.Reason = ticket, method, why
		return true, nil
	}
	tk, err := t.tickets.Ticket(ctx, in.Account, ticket)
	if errors.Is(err, ErrNotFound) {
		m.Notes = append(m.Notes, deskmail.Reason{Code: "ticket_gone", Text: "a ticket named by the mail no longer exists"})
		return false, nil
	}
	if err != nil {
		return false, err
	}
	participant, err := t.participant(ctx, in, tk)
	if err != nil {
		return false, err
	}
	if participant {
		m.Ticket, m.Method, m.Reason = tk.ID, method, why
		return true, nil
	}
	if t.strangers == StrangerNewTicket {
		m.Ticket, m.Method = "", MethodNew
		m.Reason = deskmail.Reason{Code: "stranger_new_ticket", Text: "the mail names a ticket, but its sender is not a participant; policy opens a new ticket"}
		return true, nil
	}
	m.Ticket, m.Method, m.Reason, m.Stranger = tk.ID, method, why, true
	m.Notes = append(m.Notes, deskmail.Reason{Code: "stranger", Text: "the sender is not a participant of the ticket: join it as a private note"})
	return true, nil
}

// participant reports whether in.From is the ticket's contact, CC or BCC, or
// an active agent.
func (t *Threader) participant(ctx context.Context, in *Inbound, tk Ticket) (bool, error) {
	if onTicket(in.From, tk) {
		return true, nil
	}
	ag, err := t.agent(ctx, in)
	return err == nil && ag.Active, ignoreNotFound(err)
}

func onTicket(from deskmail.Address, tk Ticket) bool {
	if from.Local == "" {
		return false
	}
	k := from.Key()
	if deskmail.CanonicalKey(tk.Contact) == k {
		return true
	}
	for _, l := range [][]string{tk.CC, tk.BCC} {
		for _, a := range l {
			if deskmail.CanonicalKey(a) == k {
				return true
			}
		}
	}
	return false
}

// agent looks the sender up among the agents; an unauthenticated From is
// no agent (ErrNotFound).
func (t *Threader) agent(ctx context.Context, in *Inbound) (Agent, error) {
	if !in.Authenticated {
		return Agent{}, ErrNotFound
	}
	return t.claimedAgent(ctx, in)
}

// claimedAgent is the agent whose address From names, authenticated or not.
func (t *Threader) claimedAgent(ctx context.Context, in *Inbound) (Agent, error) {
	if t.agents == nil || in.From.Local == "" {
		return Agent{}, ErrNotFound
	}
	return t.agents.Agent(ctx, in.Account, in.From.Key())
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// subject applies the subject-number settings.
func (t *Threader) subject(ctx context.Context, in *Inbound, m *Match, note func(code, format string, args ...any)) (bool, error) {
	number := t.SubjectNumber(in.Subject)
	if number == "" {
		return false, nil
	}
	s := t.settings
	if in.Settings != nil {
		s = *in.Settings
	}
	if !s.SubjectNumber {
		note("subject_number_off", "the subject holds ticket number %s, but subject numbers are off", number)
		return false, nil
	}
	if t.tickets == nil {
		note("subject_number_no_tickets", "the subject holds ticket number %s, but no ticket lookup is configured", number)
		return false, nil
	}
	tk, err := t.tickets.TicketByNumber(ctx, in.Account, number)
	if errors.Is(err, ErrNotFound) {
		note("subject_number_unknown", "the subject holds ticket number %s, which does not exist", number)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if s.SubjectParticipants && onTicket(in.From, tk) {
		m.Ticket, m.Method = tk.ID, MethodSubject
		m.Reason = deskmail.Reason{Code: "subject_number_participant", Text: "the subject holds the ticket number and the sender is the ticket's contact, CC or BCC"}
		return true, nil
	}
	if s.SubjectAgents {
		ag, err := t.agent(ctx, in)
		if err := ignoreNotFound(err); err != nil {
			return false, err
		}
		if err == nil && ag.Active && !ag.Restricted {
			m.Ticket, m.Method = tk.ID, MethodSubject
			m.Reason = deskmail.Reason{Code: "subject_number_agent", Text: "the subject holds the ticket number and the sender is an active, unrestricted agent"}
			return true, nil
		}
		if err == nil && ag.Active && ag.Restricted {
			note("subject_number_restricted_agent", "the subject holds ticket number %s, but the sender is a restricted agent", number)
			return false, nil
		}
	}
	if s.SubjectAgents && !in.Authenticated {
		ag, err := t.claimedAgent(ctx, in)
		if err := ignoreNotFound(err); err != nil {
			return false, err
		}
		if err == nil && ag.Active {
			note("subject_number_unauthenticated", "the subject holds ticket number %s and From names an agent, but the From is not authenticated, so it has no agent's standing", number)
			return false, nil
		}
	}
	note("subject_number_sender_refused", "the subject holds ticket number %s, but the sender may not use it", number)
	return false, nil
}

func reverse(s []string) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// NewInbound fills an Inbound for account from a mail's header: Message-ID,
// In-Reply-To, References, Subject, From (Sender when From does not
// parse), and the recipients of To, Cc, Delivered-To and X-Original-To. Add
// the envelope recipients, the body text and per-channel Settings before
// calling Match. Addresses that do not parse are skipped.
func NewInbound(account string, h deskmail.Header) *Inbound {
	in := &Inbound{
		Account:    account,
		MessageID:  h.Get("Message-Id"),
		InReplyTo:  h.Get("In-Reply-To"),
		References: h.Get("References"),
		Subject:    h.Get("Subject"),
	}
	for _, k := range []string{"From", "Sender"} {
		if a, err := deskmail.ParseAddress(h.Get(k)); err == nil {
			in.From = a
			break
		}
	}
	for _, k := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
		if v := h.Get(k); v != "" {
			if l, err := deskmail.ParseAddressList(v); err == nil {
				in.Recipients = append(in.Recipients, l...)
			}
		}
	}
	return in
}
