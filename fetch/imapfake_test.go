package fetch_test

import (
	"sync"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/backend"
)

// lockedBackend serialises every call into go-imap's memory backend,
// which is not safe for use by two connections at once.
type lockedBackend struct {
	mu *sync.Mutex
	be backend.Backend
}

func (b lockedBackend) Login(ci *imap.ConnInfo, user, pass string) (backend.User, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.be.Login(ci, user, pass)
	if err != nil {
		return nil, err
	}
	return lockedUser{b.mu, u}, nil
}

type lockedUser struct {
	mu *sync.Mutex
	u  backend.User
}

func (u lockedUser) Username() string { return u.u.Username() }
func (u lockedUser) ListMailboxes(sub bool) ([]backend.Mailbox, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	ms, err := u.u.ListMailboxes(sub)
	for i := range ms {
		ms[i] = lockedMailbox{u.mu, ms[i]}
	}
	return ms, err
}
func (u lockedUser) GetMailbox(name string) (backend.Mailbox, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	m, err := u.u.GetMailbox(name)
	if err != nil {
		return nil, err
	}
	return lockedMailbox{u.mu, m}, nil
}
func (u lockedUser) CreateMailbox(name string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.u.CreateMailbox(name)
}
func (u lockedUser) DeleteMailbox(name string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.u.DeleteMailbox(name)
}
func (u lockedUser) RenameMailbox(a, b string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.u.RenameMailbox(a, b)
}
func (u lockedUser) Logout() error { return nil }

type lockedMailbox struct {
	mu *sync.Mutex
	m  backend.Mailbox
}

func (m lockedMailbox) lock() func() { m.mu.Lock(); return m.mu.Unlock }

func (m lockedMailbox) Name() string { return m.m.Name() }
func (m lockedMailbox) Info() (*imap.MailboxInfo, error) {
	defer m.lock()()
	return m.m.Info()
}
func (m lockedMailbox) Status(items []imap.StatusItem) (*imap.MailboxStatus, error) {
	defer m.lock()()
	return m.m.Status(items)
}
func (m lockedMailbox) SetSubscribed(s bool) error {
	defer m.lock()()
	return m.m.SetSubscribed(s)
}
func (m lockedMailbox) Check() error { return nil }
func (m lockedMailbox) ListMessages(uid bool, set *imap.SeqSet, items []imap.FetchItem, ch chan<- *imap.Message) error {
	defer m.lock()()
	return m.m.ListMessages(uid, set, items, ch)
}
func (m lockedMailbox) SearchMessages(uid bool, c *imap.SearchCriteria) ([]uint32, error) {
	defer m.lock()()
	return m.m.SearchMessages(uid, c)
}
func (m lockedMailbox) CreateMessage(flags []string, date time.Time, body imap.Literal) error {
	defer m.lock()()
	return m.m.CreateMessage(flags, date, body)
}
func (m lockedMailbox) UpdateMessagesFlags(uid bool, set *imap.SeqSet, op imap.FlagsOp, flags []string) error {
	defer m.lock()()
	return m.m.UpdateMessagesFlags(uid, set, op, flags)
}
func (m lockedMailbox) CopyMessages(uid bool, set *imap.SeqSet, dest string) error {
	defer m.lock()()
	return m.m.CopyMessages(uid, set, dest)
}
func (m lockedMailbox) Expunge() error {
	defer m.lock()()
	return m.m.Expunge()
}
