package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
)

// VERPSigner makes the platform's VERP return path for one recipient of a
// message (the bounce package's VERP type implements it). A VERP address is
// per recipient, so a message routed with ReturnPathPlatform is sent as one
// envelope per recipient.
type VERPSigner interface {
	ReturnPath(account, recipient, messageID string) (string, error)
}

// Options configure a Router. Configs is required.
type Options struct {
	// Configs gives each account's relays and plan. Required.
	Configs ConfigSource
	// Platform is the platform's own transport, the default path. Required
	// by NewRouter; Middleware uses the transport it wraps instead.
	Platform deskmail.Transport
	// Store keeps caps and breaker state. Nil means a new MemoryStore.
	Store Store
	// SMTP configures the SMTP transport to relays. Nil means defaults.
	SMTP *SMTPOptions
	// RelayTransport returns the transport for a relay. Nil means the SMTP
	// transport of a Dialer built from SMTP. Tests replace it with a fake.
	RelayTransport func(r *Relay) deskmail.Transport
	// VERP signs platform return paths for relays with ReturnPathPlatform.
	// Nil makes such relays fail with ErrNoVERP before sending.
	VERP VERPSigner
	// Notifier is told when a breaker opens. Nil tells no one.
	Notifier Notifier
	// AuthFailed is told when a relay refused the credentials for good.
	// Nil tells no one.
	AuthFailed AuthNotifier
	// BreakerThreshold is the number of consecutive faults in a day that
	// open a relay's breaker. Zero means 3 (R8).
	BreakerThreshold int
	// RelayTimeout bounds an attempt through a relay, so that a fallback
	// to the platform keeps time within the caller's context. Zero means
	// half the context's remaining time, and no extra bound when the
	// context has no deadline.
	RelayTimeout time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives one line per routing decision at debug level and
	// breaker events at warn level. Nil logs nothing.
	Logger *slog.Logger
}

// Errors of NewRouter, Middleware and Send.
var (
	// ErrNoVERP: a relay asks for the platform return path and the router
	// has no VERPSigner.
	ErrNoVERP = errors.New("relay: platform return path needs a VERP signer")
	// ErrNoConfigSource: Options.Configs is missing.
	ErrNoConfigSource = errors.New("relay: Options.Configs is required")
	// ErrNoPlatform: NewRouter was given no Options.Platform.
	ErrNoPlatform = errors.New("relay: Options.Platform is required")
	// ErrIdentityUnavailable: the From address has its own SMTP server
	// (Relay.Identity) and that server cannot take the mail today (its
	// cap, its breaker or its quota); the platform does not send for it.
	ErrIdentityUnavailable = errors.New("relay: the identity's own SMTP server cannot take mail now")
)

// LimitError is returned when an account's plan daily total is used up
// (R6). It matches ErrPlanCapReached.
type LimitError struct {
	Account string    `json:"account"`
	Day     time.Time `json:"day"`
	Limit   int64     `json:"limit"`
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("relay: account %q reached its plan's daily total of %d for %s", e.Account, e.Limit, e.Day.Format("2006-01-02"))
}

// Is matches ErrPlanCapReached.
func (e *LimitError) Is(target error) bool { return target == ErrPlanCapReached }

// Router is the outbound path of R5–R8: a deskmail.Transport that sends
// each message through the relay for its From domain and kind, within the
// relay's daily cap and the plan's daily total, else through the platform,
// and falls back to the platform on relay faults. Safe for concurrent use.
type Router struct {
	opts      Options
	store     Store
	threshold int
	relayT    func(r *Relay) deskmail.Transport
}

var _ deskmail.Transport = (*Router)(nil)

// NewRouter returns a Router. It fails with ErrNoConfigSource without
// Configs and ErrNoPlatform without Platform.
func NewRouter(opts *Options) (*Router, error) {
	r, err := newRouter(opts)
	if err != nil {
		return nil, err
	}
	if r.opts.Platform == nil {
		return nil, ErrNoPlatform
	}
	return r, nil
}

func newRouter(opts *Options) (*Router, error) {
	if opts == nil || opts.Configs == nil {
		return nil, ErrNoConfigSource
	}
	r := &Router{opts: *opts, store: opts.Store, threshold: opts.BreakerThreshold, relayT: opts.RelayTransport}
	if r.store == nil {
		r.store = NewMemoryStore()
	}
	if r.threshold == 0 {
		r.threshold = 3
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	if r.relayT == nil {
		d := NewDialer(opts.SMTP)
		r.relayT = d.Transport
	}
	return r, nil
}

// Middleware returns a Middleware that routes through relays and uses the
// wrapped transport as the platform path. opts.Platform is ignored. It
// fails with ErrNoConfigSource without Configs.
func Middleware(opts *Options) (deskmail.Middleware, error) {
	r, err := newRouter(opts)
	if err != nil {
		return nil, err
	}
	return func(next deskmail.Transport) deskmail.Transport {
		c := *r
		c.opts.Platform = next
		return &c
	}, nil
}

// Store returns the router's store, for showing usage to an admin.
func (r *Router) Store() Store { return r.store }

// Route is a routing decision with its reservation.
type Route struct {
	// Relay is the chosen relay; nil for the platform path.
	Relay *Relay `json:"relay,omitempty"`
	// Reservation is what was reserved; the zero value when the account has
	// no configuration (nothing is counted).
	Reservation Reservation `json:"reservation"`
	// Reason says why, for logs: "relay", "identity", "no_relay",
	// "relay_cap", "breaker_open", "relay_exhausted", "no_config".
	Reason string `json:"reason"`
	cfg    *Config
}

// Route chooses the path for env and reserves its units. The caller must
// send, then call Release for what was not sent; Send does all of this.
// It returns a *LimitError when the plan's daily total is used up.
func (r *Router) Route(ctx context.Context, env *deskmail.Envelope, msg []byte) (Route, error) {
	cfg, err := r.opts.Configs.RelayConfig(ctx, env.Account)
	if errors.Is(err, ErrNoConfig) {
		return Route{Reason: "no_config"}, nil
	}
	if err != nil {
		return Route{}, err
	}
	day := DayOf(r.opts.Now(), cfg.location())
	n := int64(len(env.To))
	if cfg.CountMessages {
		n = 1
	}
	res := Reservation{Account: env.Account, Day: day, N: n, PlanCap: cfg.Plan.DailyTotal}
	domain := fromDomain(env, msg)
	// An identity's own server (A8) takes its address's mail or nobody does.
	if key := deskmail.CanonicalKey(headerFromAddr(env, msg)); key != "" {
		for i := range cfg.Relays {
			rl := &cfg.Relays[i]
			if rl.Identity == "" || rl.Disabled || deskmail.CanonicalKey(rl.Identity) != key {
				continue
			}
			rr := res
			rr.Relay, rr.RelayCap = rl.ID, rl.DailyCap
			switch err := r.store.Reserve(ctx, rr); {
			case err == nil:
				return Route{Relay: rl, Reservation: rr, Reason: "identity", cfg: cfg}, nil
			case errors.Is(err, ErrPlanCapReached):
				return Route{}, &LimitError{Account: env.Account, Day: day, Limit: cfg.Plan.DailyTotal}
			case errors.Is(err, ErrRelayCapReached), errors.Is(err, ErrRelayBroken), errors.Is(err, ErrRelayExhausted):
				return Route{}, fmt.Errorf("%w: %s: %w", ErrIdentityUnavailable, rl.ID, err)
			default:
				return Route{}, err
			}
		}
	}
	reason := "no_relay"
	for i := range cfg.Relays {
		rl := &cfg.Relays[i]
		if rl.Identity != "" || rl.Disabled || domain == "" || !strings.EqualFold(strings.TrimSuffix(rl.Domain, "."), domain) || !rl.Carries(env.Kind) {
			continue
		}
		rr := res
		rr.Relay, rr.RelayCap = rl.ID, rl.DailyCap
		switch err := r.store.Reserve(ctx, rr); {
		case err == nil:
			return Route{Relay: rl, Reservation: rr, Reason: "relay", cfg: cfg}, nil
		case errors.Is(err, ErrRelayCapReached):
			reason = "relay_cap"
			continue
		case errors.Is(err, ErrRelayBroken):
			reason = "breaker_open"
			continue
		case errors.Is(err, ErrRelayExhausted):
			reason = "relay_exhausted"
			continue
		case errors.Is(err, ErrPlanCapReached):
			return Route{}, &LimitError{Account: env.Account, Day: day, Limit: cfg.Plan.DailyTotal}
		default:
			return Route{}, err
		}
	}
	if err := r.store.Reserve(ctx, res); err != nil {
		if errors.Is(err, ErrPlanCapReached) {
			return Route{}, &LimitError{Account: env.Account, Day: day, Limit: cfg.Plan.DailyTotal}
		}
		return Route{}, err
	}
	return Route{Reservation: res, Reason: reason, cfg: cfg}, nil
}

// Release refunds the whole reservation of a route that was not sent.
func (r *Router) Release(ctx context.Context, rt Route) error {
	if rt.Reservation.Account == "" || rt.Reservation.N == 0 {
		return nil
	}
	return r.store.Refund(ctx, rt.Reservation, false)
}

// Send routes and sends msg for env. Recipients the relay bounced
// (StatusRejected) or may have received (StatusUnknown) are never sent
// again; recipients it could not take because of a relay fault or quota
// go through the platform. The error is a *LimitError when the plan's
// total is used up, or the platform's error when the platform failed as a
// whole.
func (r *Router) Send(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	rt, err := r.Route(ctx, env, msg)
	if err != nil {
		return nil, err
	}
	r.log(ctx, env, rt)
	if rt.Relay == nil {
		return r.sendPlatform(ctx, rt, env, msg, false)
	}
	renv, err := r.returnPath(rt.Relay, env, msg)
	if err != nil {
		r.Release(ctx, rt)
		return nil, err
	}
	res, rerr := r.sendRelay(ctx, rt.Relay, renv, msg)
	// Sort the recipients: final, or to fall back.
	var fb []int
	quota, fault, took := false, false, false
	for i := range env.To {
		rr := res.Recipients[i]
		if rr.Status == deskmail.StatusDeferred && (rr.Reason == string(ClassFault) || rr.Reason == string(ClassQuota)) {
			fb = append(fb, i)
			if rr.Reason == string(ClassQuota) {
				quota = true
			} else {
				fault = true
			}
			continue
		}
		took = true
	}
	outcome := OutcomeSuccess
	switch {
	case quota:
		outcome = OutcomeQuota
	case fault && !took:
		outcome = OutcomeFault
	}
	if !errors.Is(rerr, errNoSMTPUTF8) {
		r.record(ctx, rt, outcome, rerr)
	}
	var ae *Error
	if r.opts.AuthFailed != nil && errors.As(rerr, &ae) && ae.Stage == StageAuth && ae.Reply.Code >= 500 {
		if err := r.opts.AuthFailed.RelayAuthFailed(ctx, env.Account, *rt.Relay, rerr); err != nil && r.opts.Logger != nil {
			r.opts.Logger.WarnContext(ctx, "relay: auth-failure notifier failed", "account", env.Account, "relay", rt.Relay.ID, "error", deskmail.Sanitize(err.Error()))
		}
	}
	if len(fb) > 0 && rt.Relay.Identity != "" {
		// The platform cannot send as the identity: the recipients stay
		// deferred and their units are refunded.
		back := rt.Reservation
		if !rt.cfg.CountMessages {
			back.N = int64(len(fb))
		} else if took {
			back.N = 0
		}
		if back.N > 0 {
			r.store.Refund(ctx, back, false)
		}
		if !took && rerr != nil {
			return res, rerr
		}
		return res, nil
	}
	if len(fb) == 0 {
		return res, nil
	}
	// Fallback (R7): the relay did not take these; the platform sends them.
	back := rt.Reservation
	if !rt.cfg.CountMessages {
		back.N = int64(len(fb))
	} else if took {
		back.N = 0
	}
	if back.N > 0 {
		r.store.Refund(ctx, back, true)
	}
	fenv := env.Clone()
	fenv.To = fenv.To[:0]
	for _, i := range fb {
		fenv.To = append(fenv.To, env.To[i])
	}
	frt := Route{Reservation: back, cfg: rt.cfg}
	frt.Reservation.Relay = ""
	pres, perr := r.sendPlatform(ctx, frt, fenv, msg, took)
	if pres == nil {
		pres = deskmail.ResultFor(fenv, deskmail.StatusDeferred, 0, "", errText(perr))
	}
	for k, i := range fb {
		if k < len(pres.Recipients) {
			res.Recipients[i] = pres.Recipients[k]
		}
	}
	if took {
		res.Via = res.Via + ",platform"
	} else {
		res.Via = "platform"
	}
	if !took && perr != nil {
		return res, perr
	}
	return res, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sendRelay sends through the relay, one envelope per recipient when each
// has its own return path.
func (r *Router) sendRelay(ctx context.Context, rl *Relay, envs []*deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	t := r.relayT(rl)
	out := &deskmail.Result{Via: "relay:" + rl.ID}
	if d := r.opts.RelayTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	} else if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Until(dl)/2)
		defer cancel()
	}
	var firstErr error
	var sessionErr *Error // a failure before MAIL: later envelopes would fail the same way
	for _, e := range envs {
		if sessionErr != nil {
			res := deskmail.ResultFor(e, deskmail.StatusDeferred, sessionErr.Reply.Code, sessionErr.Reply.EnhancedCode, errText(sessionErr))
			for i := range res.Recipients {
				res.Recipients[i].Reason = string(sessionErr.Class)
			}
			out.Recipients = append(out.Recipients, res.Recipients...)
			continue
		}
		res, err := t.Send(ctx, e, msg)
		var re *Error
		if errors.As(err, &re) {
			switch re.Stage {
			case StageDNS, StageConnect, StageGreeting, StageHello, StageTLS, StageAuth:
				sessionErr = re
			}
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if res == nil {
			cls := ClassFault
			var re *Error
			if errors.As(err, &re) {
				cls = re.Class
			}
			res = deskmail.ResultFor(e, deskmail.StatusDeferred, 0, "", errText(err))
			for i := range res.Recipients {
				res.Recipients[i].Reason = string(cls)
				if cls == ClassUnknown {
					res.Recipients[i].Status = deskmail.StatusUnknown
				}
			}
		}
		out.Recipients = append(out.Recipients, res.Recipients...)
	}
	return out, firstErr
}

// sendPlatform sends through the platform and refunds the units of
// recipients it did not take. keepOne keeps a message-count unit that the
// relay already used.
func (r *Router) sendPlatform(ctx context.Context, rt Route, env *deskmail.Envelope, msg []byte, keepOne bool) (*deskmail.Result, error) {
	res, err := r.opts.Platform.Send(ctx, env, msg)
	if rt.Reservation.Account == "" || rt.Reservation.N == 0 {
		return res, err
	}
	unsent := int64(0)
	if res == nil {
		unsent = int64(len(env.To))
	} else {
		for _, rr := range res.Recipients {
			if rr.Status == deskmail.StatusDeferred || rr.Status == deskmail.StatusDropped {
				unsent++
			}
		}
	}
	back := rt.Reservation
	back.Relay = ""
	if rt.cfg != nil && rt.cfg.CountMessages {
		back.N = 0
		if unsent == int64(len(env.To)) && !keepOne {
			back.N = 1
		}
	} else {
		back.N = unsent
	}
	if back.N > 0 {
		r.store.Refund(ctx, back, false)
	}
	return res, err
}

// record feeds the breaker and notifies once when it opens.
func (r *Router) record(ctx context.Context, rt Route, o Outcome, last error) {
	st, err := r.store.RecordOutcome(ctx, rt.Reservation.Account, rt.Relay.ID, rt.Reservation.Day, o, r.threshold)
	if err != nil {
		if r.opts.Logger != nil {
			r.opts.Logger.WarnContext(ctx, "relay: breaker store failed", "account", rt.Reservation.Account, "relay", rt.Relay.ID, "error", err.Error())
		}
		return
	}
	if st.JustOpened {
		if r.opts.Logger != nil {
			r.opts.Logger.WarnContext(ctx, "relay: breaker opened; relay skipped until tomorrow", "account", rt.Reservation.Account, "relay", rt.Relay.ID, "faults", st.Faults)
		}
		if r.opts.Notifier != nil {
			if err := r.opts.Notifier.RelayBroken(ctx, rt.Reservation.Account, *rt.Relay, rt.Reservation.Day, last); err != nil && r.opts.Logger != nil {
				r.opts.Logger.WarnContext(ctx, "relay: breaker notifier failed", "account", rt.Reservation.Account, "relay", rt.Relay.ID, "error", deskmail.Sanitize(err.Error()))
			}
		}
	}
}

// returnPath builds the envelopes for a relay route (B8).
func (r *Router) returnPath(rl *Relay, env *deskmail.Envelope, msg []byte) ([]*deskmail.Envelope, error) {
	switch rl.ReturnPath {
	case ReturnPathFrom:
		e := env.Clone()
		e.From = headerFromAddr(env, msg)
		return []*deskmail.Envelope{e}, nil
	case ReturnPathFixed:
		e := env.Clone()
		e.From = rl.BounceAddress
		return []*deskmail.Envelope{e}, nil
	case ReturnPathPlatform:
		if r.opts.VERP == nil {
			return nil, ErrNoVERP
		}
		envs := make([]*deskmail.Envelope, len(env.To))
		for i, rc := range env.To {
			rp, err := r.opts.VERP.ReturnPath(env.Account, rc, env.MessageID)
			if err != nil {
				return nil, fmt.Errorf("relay: VERP return path: %w", err)
			}
			e := env.Clone()
			e.To = []string{rc}
			e.From = rp
			envs[i] = e
		}
		return envs, nil
	}
	return []*deskmail.Envelope{env}, nil
}

func (r *Router) log(ctx context.Context, env *deskmail.Envelope, rt Route) {
	if r.opts.Logger == nil {
		return
	}
	id := "platform"
	if rt.Relay != nil {
		id = rt.Relay.ID
	}
	r.opts.Logger.DebugContext(ctx, "relay: route", "account", env.Account, "path", id, "reason", rt.Reason, "units", rt.Reservation.N)
}
