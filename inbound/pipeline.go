package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/forward"
	"github.com/deskmail/deskmail/inbound/allow"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

// Defaults of Options.
const (
	// DefaultMaxBytes is the largest mail Process reads: 50 MiB, above
	// what providers accept (Gmail 25 MB, Microsoft 365 35-150 MB encoded).
	DefaultMaxBytes = 50 << 20
	// DefaultMaxHeaderBytes bounds the header: 1 MiB.
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxBodyScan is how much of the body is searched for a body
	// marker: 64 KiB.
	DefaultMaxBodyScan = 64 << 10
)

// ErrNoAliases is returned by New without Options.Aliases.
var ErrNoAliases = errors.New("inbound: Options.Aliases is required")

// Options configure a Pipeline. Only Aliases is required; every other nil or
// zero field turns a step off or takes the default written beside it.
type Options struct {
	// Aliases holds the accounts, support addresses and settings (alias).
	// Required.
	Aliases alias.Store
	// Router tunes routing (sub-address separator, candidate cap). Nil:
	// alias defaults.
	Router *alias.RouterOptions
	// Threader matches mail to tickets and recognises our own
	// Message-IDs. Nil: no threading; every routed mail is a new
	// ticket, and loops are found by Options.XLoop only.
	Threader *threading.Threader
	// Tickets is the host's ticket lookup, used to tell whether an agent's
	// reply leaves out the ticket's contact. Nil: such replies are not
	// made private. Give the Threader the same value, for its participant
	// checks.
	Tickets threading.Tickets
	// Agents is the host's agent directory. Nil: no sender is an
	// agent.
	Agents threading.Agents
	// Directory finds the host's contacts and leads by address. Nil:
	// Decision.Participants stays nil.
	Directory alias.Directory
	// Bounces applies delivery reports to the bounce state after
	// attributing them: build it with a VERP and with
	// OwnMessage(threader). Nil: reports are dropped with the reason
	// bounce_no_tracker.
	Bounces *bounce.Tracker
	// BounceParse tunes report parsing. Nil: bounce defaults (256 KiB read).
	BounceParse *bounce.ParseOptions
	// ForwardingCheck recognises the platform's own forwarding-check mails
	//. Nil: not recognised.
	ForwardingCheck *alias.ForwardingCheck
	// Auth configures SPF, DKIM and DMARC (resolver, authserv-id, and
	// SkipDKIM to turn DKIM verification off when an upstream MTA verified
	// the signatures). Nil: net.DefaultResolver, authserv-id "deskmail",
	// and every DKIM signature verified.
	Auth *senderauth.Options
	// SkipAuth turns sender authentication off, for mail an upstream MTA
	// already authenticated. False: every mail is authenticated.
	// Without authentication no From is authenticated, so no sender gets
	// an agent's privileges unless Trusted is set.
	SkipAuth bool
	// Trusted marks every mail of this pipeline as arriving through a path
	// the host authenticated itself, for a pipeline fed by the host's own
	// submission server (SMTP AUTH, with the server checking that From
	// belongs to the login) or by an authenticated fetch of an agent's own
	// mailbox (its Sent folder). The From is then authenticated without
	// SPF, DKIM or DMARC (reason auth_trusted): an agent keeps its
	// privileges and nothing is suspended for sender
	// authentication. Never set it for an MX or for a shared support
	// mailbox: anyone can write any From there. False: the From is
	// authenticated by DMARC (see Auth). Pipeline.Trusted sets it for
	// one call.
	Trusted bool
	// Allow is the allow list: Recover records an entry there, and a mail
	// whose authentication failure an entry covers is not suspended
	// (package allow). Nil: nothing is recorded or honoured, and Recover
	// returns ErrNoAllowStore.
	Allow allow.Store
	// Now is the clock of allow entries. Nil: time.Now.
	Now func() time.Time
	// XLoop is the X-Loop value our automatic mail carries (autoreply.Fields).
	// Empty: every X-Loop counts as another system's.
	XLoop string
	// Forward bounds the search for an agent's forwarded original. Nil:
	// forward defaults.
	Forward *forward.Options
	// MaxBytes is the largest mail accepted; a larger one is suspended with
	// the reason too_large. Zero: DefaultMaxBytes.
	MaxBytes int
	// MaxHeaderBytes bounds the header; a longer header is malformed.
	// Zero: DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxBodyScan is how much of the body is searched for a body marker
	// (threading.Threader.BodyMarker). Zero: DefaultMaxBodyScan.
	MaxBodyScan int
	// Logger receives one debug line per decision. Nil: no logging. Tokens
	// and secrets are never logged.
	Logger *slog.Logger
}

// Pipeline is the inbound flow as one call. It is safe for concurrent use.
type Pipeline struct {
	o       Options
	trusted *Pipeline // the same pipeline with Options.Trusted set
	router  *alias.Router
	sep     string
	ar      autoreply.Options
}

// New returns a Pipeline for opts. It returns ErrNoAliases when opts or
// opts.Aliases is nil.
func New(opts *Options) (*Pipeline, error) {
	if opts == nil || opts.Aliases == nil {
		return nil, ErrNoAliases
	}
	p := &Pipeline{o: *opts}
	if p.o.MaxBytes <= 0 {
		p.o.MaxBytes = DefaultMaxBytes
	}
	if p.o.MaxHeaderBytes <= 0 {
		p.o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if p.o.MaxBodyScan <= 0 {
		p.o.MaxBodyScan = DefaultMaxBodyScan
	}
	r, err := alias.NewRouter(p.o.Aliases, p.o.Router)
	if err != nil {
		return nil, fmt.Errorf("inbound: %w", err)
	}
	p.router = r
	p.sep = deskmail.DefaultSubaddressSeparator
	if p.o.Router != nil && p.o.Router.SubaddressSeparator != "" {
		p.sep = p.o.Router.SubaddressSeparator
	}
	p.ar = autoreply.Options{XLoop: p.o.XLoop}
	if th := p.o.Threader; th != nil {
		p.ar.OwnMessageID = func(_ context.Context, id string) (bool, error) {
			_, err := th.ParseMessageID(id)
			return err == nil, nil
		}
	}
	if p.o.Trusted {
		p.trusted = p
	} else {
		t := *p
		t.o.Trusted = true
		t.trusted = &t
		p.trusted = &t
	}
	return p, nil
}

// Trusted returns the pipeline for a path the host authenticated itself,
// the same as p but with Options.Trusted set, for a door that serves both
// kinds of path: an SMTP server calls p.Trusted().ProcessAll for a session
// that passed SMTP AUTH (having checked that the From belongs to the
// login), and p.ProcessAll for every other session. It costs nothing.
func (p *Pipeline) Trusted() *Pipeline { return p.trusted }

// OwnMessage adapts a Threader to bounce.Options.OwnMessage: a Message-ID
// is ours when its signed token verifies, and its reference is the ticket
// it was sent on, so a bounce lands on that ticket.
func OwnMessage(th *threading.Threader) bounce.MessageOwner {
	return func(_ context.Context, id string) (bounce.OwnedMessage, error) {
		tok, err := th.ParseMessageID(id)
		if err != nil {
			return bounce.OwnedMessage{}, nil // not ours
		}
		return bounce.OwnedMessage{Account: tok.Account, Ref: tok.Ticket}, nil
	}
}

func (p *Pipeline) now() time.Time {
	if p.o.Now != nil {
		return p.o.Now()
	}
	return time.Now()
}
