package dkim

import (
	"crypto"
	"errors"
	"fmt"
	"time"
)

// Errors of the rotation steps.
var (
	// ErrRotationInProgress: Begin was called while a key is still pending.
	ErrRotationInProgress = errors.New("dkim: a rotation is already in progress (a key is pending)")
	// ErrSelectorExists: the selector is already used by a key of the domain.
	ErrSelectorExists = errors.New("dkim: selector already in use for this domain")
	// ErrNoSuchSelector: no key of the domain has the selector.
	ErrNoSuchSelector = errors.New("dkim: no key with this selector")
	// ErrNoActiveKey: the domain has no active key, so nothing signs.
	ErrNoActiveKey = errors.New("dkim: no active key for domain")
)

// A rotation, the plan a host follows (each step is one KeyStore.Update):
//
//  1. Begin(selector, key): the new key is added as pending. Publish its
//     record (Published lists every record that must be in DNS). When the
//     domain has no key at all, the first key becomes active at once.
//  2. When the new record is visible (CheckPublished reports a match),
//     Promote(selector): the new key signs, the old one becomes retiring.
//     Both selectors stay published.
//  3. After a grace period long enough for mail in queues to be delivered
//     and verified (a week is common), Retire(now, grace) removes the
//     retiring keys; the host then removes their records (or publishes
//     them with an empty p= to revoke them explicitly).

// Begin adds key under selector as the next key of the domain. The first
// key of a domain becomes active directly; later keys are pending until
// Promote. Weak RSA keys wrap ErrWeakKey.
func (s *KeyState) Begin(selector string, key crypto.Signer, now time.Time) error {
	if selector == "" || !isSelector(selector) {
		return fmt.Errorf("dkim: invalid selector %q", selector)
	}
	for _, k := range s.Keys {
		if k.Selector == selector {
			return fmt.Errorf("%w: %s", ErrSelectorExists, selector)
		}
		if k.Status == KeyPending {
			return fmt.Errorf("%w: %s", ErrRotationInProgress, k.Selector)
		}
	}
	pemKey, err := MarshalPrivateKey(key)
	if err != nil {
		return err
	}
	if _, err := ParsePrivateKey(pemKey); err != nil {
		return err
	}
	status := KeyPending
	if s.Active() == nil {
		status = KeyActive
	}
	s.Keys = append(s.Keys, SelectorKey{
		Selector:   selector,
		Algorithm:  AlgorithmOf(key),
		PrivateKey: pemKey,
		Status:     status,
		Created:    now,
		Changed:    now,
	})
	return nil
}

// Promote makes the key under selector the active one; the previously
// active key becomes retiring.
func (s *KeyState) Promote(selector string, now time.Time) error {
	idx := -1
	for i, k := range s.Keys {
		if k.Selector == selector {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchSelector, selector)
	}
	if s.Keys[idx].Status == KeyActive {
		return nil
	}
	for i := range s.Keys {
		if s.Keys[i].Status == KeyActive {
			s.Keys[i].Status = KeyRetiring
			s.Keys[i].Changed = now
		}
	}
	s.Keys[idx].Status = KeyActive
	s.Keys[idx].Changed = now
	return nil
}

// Retire removes the retiring keys that have been retiring for at least
// grace and returns them: their DNS records can now be removed.
func (s *KeyState) Retire(now time.Time, grace time.Duration) []SelectorKey {
	var keep, gone []SelectorKey
	for _, k := range s.Keys {
		if k.Status == KeyRetiring && !now.Before(k.Changed.Add(grace)) {
			gone = append(gone, k)
			continue
		}
		keep = append(keep, k)
	}
	s.Keys = keep
	return gone
}

// Active returns the signing key, or nil.
func (s *KeyState) Active() *SelectorKey {
	for i := range s.Keys {
		if s.Keys[i].Status == KeyActive {
			return &s.Keys[i]
		}
	}
	return nil
}

// PublishedRecord is a DNS record a domain must publish.
type PublishedRecord struct {
	// Name is SELECTOR._domainkey.DOMAIN.
	Name string `json:"name"`
	// Selector and Status name the key.
	Selector string    `json:"selector"`
	Status   KeyStatus `json:"status"`
	// Record is the key record; TXT holds it split into 255-byte strings.
	Record *KeyRecord `json:"-"`
	TXT    []string   `json:"txt"`
}

// Published returns the records every live key needs in DNS: the active
// key and, during a rotation, the pending or retiring one.
func (s *KeyState) Published() ([]PublishedRecord, error) {
	var out []PublishedRecord
	for _, k := range s.Keys {
		priv, err := ParsePrivateKey(k.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("dkim: key %s of %s: %w", k.Selector, s.Domain, err)
		}
		rec, err := NewKeyRecord(priv)
		if err != nil {
			return nil, err
		}
		out = append(out, PublishedRecord{
			Name:     k.Selector + "._domainkey." + s.Domain,
			Selector: k.Selector,
			Status:   k.Status,
			Record:   rec,
			TXT:      rec.TXTStrings(),
		})
	}
	return out, nil
}

// NextSelector returns a selector for a key created at now: prefix plus
// the year and month ("dm202611"), the naming scheme most providers use,
// so rotations sort by date.
func NextSelector(prefix string, now time.Time) string {
	return fmt.Sprintf("%s%04d%02d", prefix, now.Year(), int(now.Month()))
}

func isSelector(s string) bool {
	if len(s) > 253 {
		return false
	}
	prevDot := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			prevDot = false
		case c == '-':
			if prevDot {
				return false
			}
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
		default:
			return false
		}
	}
	return !prevDot
}
