package threading

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
)

// Configuration errors, returned by New.
var (
	// ErrNoDomain is returned by New without Options.Domain: the
	// Message-IDs we write need a domain of the host's own.
	ErrNoDomain = errors.New("threading: no Message-ID domain (Options.Domain)")
	// ErrInstall is returned by New when the install id is not 1 to 32 lower-case
	// letters and digits.
	ErrInstall = errors.New("threading: install id must be 1-32 lower-case letters or digits")
)

// DefaultSubjectTag is the subject tag format used when Options.SubjectTag is
// empty: "[#123]".
const DefaultSubjectTag = "[#%s]"

// DefaultMaxReferences is how many ids References holds when
// Options.MaxReferences is zero.
const DefaultMaxReferences = 20

// Options configure a Threader. Install and Keyring are required; every other
// field has a documented zero value.
type Options struct {
	// Install identifies this deskmail installation (say "acme" or a short
	// random id): 1-32 lower-case ASCII letters and digits. It is visible in
	// every Message-ID we write, so loop detection recognises our own mail
	// even without the secret, and a token written by another install
	// (staging, a competitor also using deskmail) never verifies here.
	Install string

	// Keyring signs and verifies tokens: its first secret signs, all
	// verify. To rotate, put a new secret first and keep the old one while
	// mail signed with it may still be answered (months, for a helpdesk).
	// Required: New returns deskmail.ErrNoSecret without it.
	Keyring *deskmail.Keyring

	// Domain is the right-hand side of the Message-IDs we write when
	// Outgoing.Domain is empty: a domain of the host's own, ideally the From
	// domain, because filters score a Message-ID domain that matches
	// nothing. Required: New returns ErrNoDomain without it.
	Domain string

	// SubjectTag is the format of the ticket number in subjects, with one %s
	// where the number goes. Zero: DefaultSubjectTag, "[#%s]". It must hold
	// exactly one %s and some text before it.
	SubjectTag string

	// Separator is the sub-address separator of reply tags
	// ("support+TOKEN@"). Zero: deskmail.DefaultSubaddressSeparator, "+".
	Separator string

	// MaxReferences bounds the References header we write (RFC 5322 §3.6.4
	// lets a writer trim it: we keep the first id and the newest ones).
	// Zero: DefaultMaxReferences.
	MaxReferences int

	// Settings are the account's threading settings, used when
	// Inbound.Settings is nil. Zero: subject numbers off.
	Settings Settings

	// Strangers says what happens to a reply that matched a ticket through
	// its headers or a token but whose sender is neither a participant of
	// the ticket nor an active agent. Zero: StrangerJoin.
	Strangers StrangerPolicy

	// Index is the message index (Message-ID → ticket). Nil: no index
	// lookups, no duplicate detection; Remember fails.
	Index Store

	// Tickets looks up tickets by id and by number. Nil: subject numbers
	// never match, and header matches are not checked for strangers.
	Tickets Tickets

	// Agents is the agent directory. Nil: no sender is an agent.
	Agents Agents

	// Rand supplies the random message ids Headers makes when
	// Outgoing.Message is empty. Nil: crypto/rand.
	Rand io.Reader

	// Now is the clock used for index entries. Nil: time.Now.
	Now func() time.Time

	// Logger receives one debug line per match. Nil: no logging. Tokens and
	// secrets are never logged.
	Logger *slog.Logger
}

// Threader writes outbound thread headers and matches inbound mail to
// tickets. It is safe for concurrent use.
type Threader struct {
	keys       *deskmail.Keyring
	install    string
	domain     string
	tag        subjectTag
	sep        string
	maxRefs    int
	settings   Settings
	strangers  StrangerPolicy
	index      Store
	tickets    Tickets
	agents     Agents
	rand       io.Reader
	now        func() time.Time
	log        *slog.Logger
	markerHead string // "ref:dm.INSTALL."
}

// New returns a Threader for opts.
func New(opts *Options) (*Threader, error) {
	if opts == nil || opts.Keyring == nil {
		return nil, fmt.Errorf("threading: %w", deskmail.ErrNoSecret)
	}
	if !validInstall(opts.Install) {
		return nil, ErrInstall
	}
	keys := opts.Keyring
	t := &Threader{
		keys: keys, install: opts.Install, domain: opts.Domain, sep: opts.Separator,
		maxRefs: opts.MaxReferences, settings: opts.Settings, strangers: opts.Strangers,
		index: opts.Index, tickets: opts.Tickets, agents: opts.Agents,
		rand: opts.Rand, now: opts.Now, log: opts.Logger,
	}
	if t.domain == "" {
		return nil, ErrNoDomain
	}
	var err error
	if t.domain, err = idDomain(t.domain); err != nil {
		return nil, err
	}
	if t.sep == "" {
		t.sep = deskmail.DefaultSubaddressSeparator
	}
	if err := deskmail.CheckHeaderValue(t.sep); err != nil || strings.ContainsAny(t.sep, "@<> \t\"") {
		return nil, fmt.Errorf("threading: invalid separator %q", t.sep)
	}
	if t.maxRefs <= 0 {
		t.maxRefs = DefaultMaxReferences
	}
	f := opts.SubjectTag
	if f == "" {
		f = DefaultSubjectTag
	}
	if t.tag, err = parseSubjectTag(f); err != nil {
		return nil, err
	}
	if t.rand == nil {
		t.rand = rand.Reader
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.markerHead = markerPrefix + t.install + "."
	return t, nil
}

// idDomain checks and normalises the right-hand side of a Message-ID.
func idDomain(d string) (string, error) {
	if err := deskmail.CheckHeaderValue(d); err != nil {
		return "", fmt.Errorf("threading: domain: %w", err)
	}
	n, err := deskmail.NormalizeDomain(d)
	if err != nil {
		return "", fmt.Errorf("threading: domain: %w", err)
	}
	if !validID(n) || strings.ContainsAny(n, "@\"") {
		return "", fmt.Errorf("threading: domain %q cannot be used in a Message-ID", truncate(n, 40))
	}
	return n, nil
}

func validInstall(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Install returns the install id.
func (t *Threader) Install() string { return t.install }

// MessageID returns a new Message-ID, with angle brackets, carrying a signed
// token for tok's Account, Ticket and Message: <dm.INSTALL.TOKEN@domain>.
// An empty domain means Options.Domain. Account and Ticket are required;
// each field is at most 255 bytes. Numbers and lower-case UUIDs are packed,
// so an id for UUID account, ticket and message is about 100 characters.
func (t *Threader) MessageID(tok Token, domain string) (string, error) {
	if tok.Account == "" || tok.Ticket == "" {
		return "", errors.New("threading: message id needs an account and a ticket")
	}
	if len(tok.Account) > maxField || len(tok.Ticket) > maxField || len(tok.Message) > maxField {
		return "", errors.New("threading: token field longer than 255 bytes")
	}
	if domain == "" {
		domain = t.domain
	} else {
		d, err := idDomain(domain)
		if err != nil {
			return "", err
		}
		domain = d
	}
	text := seal(t.keys, t.install, tok.Account, messagePayload(tok))
	return "<" + idPrefix + t.install + "." + text + "@" + domain + ">", nil
}

// ParseMessageID verifies a Message-ID we wrote (with or without angle
// brackets) and returns its token. It returns ErrNotOurs when id is not in
// our form for this install (cheap: no MAC computed), and ErrInvalidToken
// when it is in our form but does not verify — forged or truncated. The
// token is verified against every secret of the keyring.
func (t *Threader) ParseMessageID(id string) (Token, error) {
	text, ok := splitOurID(id, t.install)
	if !ok {
		return Token{}, ErrNotOurs
	}
	return open(t.keys, t.install, "", text)
}

// ReplyTag returns the sub-address tag naming ticket for account, to put
// after the separator of the support address: support+TAG@example.com.
// The MAC binds the account, so the tag is short (about 30 characters for
// a number, 45 for a UUID) and verifies only for mail arriving on that
// account.
func (t *Threader) ReplyTag(account, ticket string) (string, error) {
	if account == "" || ticket == "" || len(ticket) > maxField {
		return "", errors.New("threading: reply tag needs an account and a ticket of at most 255 bytes")
	}
	return seal(t.keys, t.install, account, ticketPayload(ticket)), nil
}

// ReplyAddress returns support with a reply tag for ticket added to its
// local part: support+TAG@domain. An existing tag is replaced. It fails when
// the local part would exceed the 64 octets of RFC 5321 §4.5.3.1.1.
func (t *Threader) ReplyAddress(support deskmail.Address, account, ticket string) (deskmail.Address, error) {
	tag, err := t.ReplyTag(account, ticket)
	if err != nil {
		return deskmail.Address{}, err
	}
	a := support.Base(t.sep)
	a.Local += t.sep + tag
	if len(a.Local) > 64 {
		return deskmail.Address{}, fmt.Errorf("threading: reply address local part is %d octets, over 64", len(a.Local))
	}
	if err := deskmail.CheckHeaderValue(a.String()); err != nil {
		return deskmail.Address{}, fmt.Errorf("threading: reply address: %w", err)
	}
	return a, nil
}

// ParseReplyTag verifies a reply tag for account and returns its token.
func (t *Threader) ParseReplyTag(account, tag string) (Token, error) {
	if tag == "" {
		return Token{}, ErrNotOurs
	}
	return open(t.keys, t.install, account, tag)
}

// BodyMarker returns a short text naming ticket for account, for the host to
// put in a body (a footer line, or hidden in HTML): "ref:dm.INSTALL.TOKEN:ref".
// Replies that quote it join the ticket even when every header was lost,
// such as a customer copying the text into a new mail.
func (t *Threader) BodyMarker(account, ticket string) (string, error) {
	tag, err := t.ReplyTag(account, ticket)
	if err != nil {
		return "", err
	}
	return t.markerHead + tag + markerSuffix, nil
}

// maxMarkers bounds how many markers a body scan verifies.
const maxMarkers = 8

// ParseBodyMarker finds the first verified body marker for account in body
// and returns its token. It returns ErrNotOurs when body holds no marker of
// this install and ErrInvalidToken when it holds markers, none of which
// verifies. At most 8 markers are tried.
func (t *Threader) ParseBodyMarker(account, body string) (Token, error) {
	err := ErrNotOurs
	for n := 0; n < maxMarkers; n++ {
		i := indexFold(body, t.markerHead)
		if i < 0 {
			break
		}
		body = body[i+len(t.markerHead):]
		j := indexFold(body, markerSuffix)
		if j < 0 || j > maxTokenText {
			break
		}
		tok, e := open(t.keys, t.install, account, body[:j])
		if e == nil {
			return tok, nil
		}
		err = e
	}
	return Token{}, err
}
