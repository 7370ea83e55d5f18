package relay_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

const (
	testAccount  = "acme"
	testPassword = "s3cr3t-pa55w0rd-never-logged"
	testToken    = "ya29.t0ken-never-logged"
)

func testMsg(from string) []byte {
	return []byte("From: Support <" + from + ">\r\nTo: someone@example.net\r\nSubject: Ticket #42\r\nMessage-ID: <m1@example.com>\r\n\r\nHello.\r\n")
}

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// platform is a fake platform transport that records what it sends.
type platform struct {
	mu   sync.Mutex
	sent []*deskmail.Envelope
	fail error
}

func (p *platform) Send(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return nil, p.fail
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the relay attempt used up the caller's time
	}
	p.sent = append(p.sent, env.Clone())
	r := deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "ok")
	r.Via = "platform"
	return r, nil
}

func (p *platform) recipients() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.sent {
		out = append(out, e.To...)
	}
	return out
}

// relayFor returns a relay configuration pointing at srv.
func relayFor(id string, srv *smtptest.Server) relay.Relay {
	sec := relay.SecurityNone
	switch srv.Security() {
	case smtptest.StartTLS:
		sec = relay.SecuritySTARTTLS
	case smtptest.ImplicitTLS:
		sec = relay.SecurityTLS
	}
	return relay.Relay{ID: id, Domain: "example.com", Host: srv.Host(), Port: srv.Port(), Security: sec}
}

type fixture struct {
	t        *testing.T
	srv      *smtptest.Server
	cfg      *relay.Config
	plat     *platform
	clock    *clock
	store    *relay.MemoryStore
	router   *relay.Router
	notified []string
	mu       sync.Mutex
}

// newFixture starts a server and a router whose account has one relay to
// it. edit changes the configuration before the router is built.
func newFixture(t *testing.T, sopts *smtptest.Options, edit func(*relay.Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, plat: &platform{}, clock: newClock(), store: relay.NewMemoryStore()}
	f.srv = smtptest.New(t, sopts)
	f.cfg = &relay.Config{Account: testAccount, AnyPort: true, Relays: []relay.Relay{relayFor("r1", f.srv)}}
	if edit != nil {
		edit(f.cfg)
	}
	if err := f.cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	var err error
	f.router, err = relay.NewRouter(&relay.Options{
		Configs:  relay.Configs{testAccount: f.cfg},
		Platform: f.plat,
		Store:    f.store,
		Now:      f.clock.Now,
		SMTP: &relay.SMTPOptions{
			RootCAs:        f.srv.CertPool(),
			CommandTimeout: 2 * time.Second,
			DataTimeout:    2 * time.Second,
			Passwords: relay.PasswordFunc(func(ctx context.Context, account, id string) (string, error) {
				return testPassword, nil
			}),
			Tokens: relay.TokenFunc(func(ctx context.Context, account, id string) (relay.Token, error) {
				return relay.Token{AccessToken: testToken, Expiry: f.clock.Now().Add(time.Hour)}, nil
			}),
		},
		Notifier: relay.NotifierFunc(func(ctx context.Context, account string, r relay.Relay, day time.Time, last error) error {
			f.mu.Lock()
			f.notified = append(f.notified, fmt.Sprintf("%s/%s/%s", account, r.ID, day.Format("2006-01-02")))
			f.mu.Unlock()
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) send(to ...string) (*deskmail.Result, error) {
	return f.sendKind(deskmail.KindReply, to...)
}

func (f *fixture) sendKind(k deskmail.Kind, to ...string) (*deskmail.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	env := &deskmail.Envelope{Account: testAccount, From: "bounces@platform.example", To: to, Kind: k, MessageID: "m1@example.com"}
	return f.router.Send(ctx, env, testMsg("support@example.com"))
}

func (f *fixture) usage() relay.Usage {
	u, err := f.store.Usage(context.Background(), testAccount, relay.DayOf(f.clock.Now(), f.cfg.Location))
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func statuses(r *deskmail.Result) string {
	if r == nil {
		return "<nil>"
	}
	var s []string
	for _, rr := range r.Recipients {
		s = append(s, rr.Recipient+"="+string(rr.Status))
	}
	return strings.Join(s, " ")
}

func relayed(srv *smtptest.Server) []string {
	var out []string
	for _, m := range srv.Messages() {
		out = append(out, m.To...)
	}
	return out
}
