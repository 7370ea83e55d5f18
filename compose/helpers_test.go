package compose_test

import (
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/threading"
)

var testNow = time.Date(2026, 12, 4, 9, 30, 0, 0, time.FixedZone("JST", 9*3600))

// testAccount is Acme: a customer-owned support address forwarding to the
// platform, agent names in From, auto-CC and subject numbers on.
func testAccount(t testing.TB) *alias.Account {
	t.Helper()
	a := &alias.Account{ID: "acme"}
	if err := a.AddAddress(alias.SupportAddress{Address: "support@acme.example", Name: "Acme Support", PlatformAddress: "support@acme.desk.example"}); err != nil {
		t.Fatal(err)
	}
	a.Settings.AgentNameInFrom = true
	a.Settings.AutoCC = true
	a.Settings.Threading.SubjectNumber = true
	return a
}

func testThreader(t testing.TB) *threading.Threader {
	t.Helper()
	th, err := threading.New(&threading.Options{
		Install: "test", Keyring: deskmail.MustKeyring([]byte("compose test secret, 32 bytes!!!")),
		Domain: "acme.desk.example", Rand: fill(7),
	})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func testComposer(t testing.TB, mod func(*compose.Options)) *compose.Composer {
	t.Helper()
	o := &compose.Options{
		Threader: testThreader(t), Now: func() time.Time { return testNow },
		Rand: fill(9),
	}
	if mod != nil {
		mod(o)
	}
	c, err := compose.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addr(t testing.TB, name, a string) deskmail.Address {
	t.Helper()
	x, err := deskmail.NewAddress(name, a)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// fill is an endless reader of one byte value: deterministic "random"
// ids for golden files.
type fill byte

func (f fill) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}
