package bounce_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

// FuzzApplyChangesOnlyRecipients: whatever mail arrives, Apply changes
// only addresses the cited message was sent to (victim and colleague,
// through the gate), or the recipient its VERP token names.
func FuzzApplyChangesOnlyRecipients(f *testing.F) {
	v, err := bounce.NewVERP(deskmail.MustKeyring([]byte("first-secret-0123456789")), "bounces.example.net", nil)
	if err != nil {
		f.Fatal(err)
	}
	rp, _ := v.ReturnPath("acme", "victim@example.com", "t42.sig@desk.example")
	for _, s := range []struct{ to, mid, final string }{
		{"support@desk.example", "t42.sig@desk.example", "victim@example.com"},
		{"support@desk.example", "t42.sig@desk.example", "stranger@example.com"},
		{rp, "t42.sig@desk.example", "stranger@example.com"},
		{rp, "", "victim@forward.example"},
	} {
		m := strings.Replace(forgedBounce, "<%s>", "<"+s.mid+">", 1)
		m = strings.NewReplacer("%s", s.to, "victim@example.com", s.final).Replace(m)
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := bounce.ParseBytes(raw)
		if err != nil {
			return
		}
		tr, _ := attackWorld(t)
		ap, err := tr.Apply(context.Background(), rep)
		if err != nil {
			return
		}
		for _, st := range ap.States {
			if st.Address != "victim@example.com" && st.Address != "colleague@example.com" {
				t.Fatalf("Apply changed %q, not a recipient of the cited message (via %s)", st.Address, ap.Attribution.Via)
			}
		}
	})
}
