package bounce

import (
	"context"
	"errors"
	"time"
)

// GateLevel is the account bounce-rate verdict.
type GateLevel string

// The gate levels (B5).
const (
	GateOK      GateLevel = "ok"
	GateWarn    GateLevel = "warn"    // the rate reached WarnRate
	GateBlocked GateLevel = "blocked" // the rate reached BlockRate: notifications are refused
)

// AccountGate is an account's bounce rate over the window.
type AccountGate struct {
	Account     string    `json:"account"`
	Sends       int       `json:"sends"`
	HardBounces int       `json:"hard_bounces"`
	Rate        float64   `json:"rate"`
	Level       GateLevel `json:"level"`
	Exempt      bool      `json:"exempt"`
}

// Gate returns the account's bounce rate and level (B5). Below MinVolume
// sends the level is ok; an exempt account is never blocked (but is warned).
func (t *Tracker) Gate(ctx context.Context, account string) (AccountGate, error) {
	if err := t.ready(); err != nil {
		return AccountGate{}, err
	}
	since := t.o.Now().Add(-t.o.Window + 24*time.Hour)
	sends, hard, err := t.store.Counts(ctx, account, since)
	if err != nil {
		return AccountGate{}, err
	}
	g := AccountGate{Account: account, Sends: sends, HardBounces: hard, Level: GateOK}
	if sends > 0 {
		g.Rate = float64(hard) / float64(sends)
	}
	a, err := t.store.GetAccount(ctx, account)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return AccountGate{}, err
	}
	g.Exempt = a.Exempt
	if sends >= t.o.MinVolume {
		switch {
		case g.Rate >= t.o.BlockRate && !g.Exempt:
			g.Level = GateBlocked
		case g.Rate >= t.o.WarnRate:
			g.Level = GateWarn
		}
	}
	return g, nil
}

// SetExempt exempts an account from the bounce-rate gate, or ends the
// exemption; only an administrator may call it (B5).
func (t *Tracker) SetExempt(ctx context.Context, account string, exempt bool) error {
	if err := t.ready(); err != nil {
		return err
	}
	now := t.o.Now()
	_, err := t.store.UpdateAccount(ctx, account, func(a *AccountState) error {
		a.Exempt, a.Updated = exempt, now
		return nil
	})
	return err
}
