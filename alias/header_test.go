package alias_test

import (
	"bufio"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	message "github.com/emersion/go-message"
	gmmail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/alias"
)

// valuesOnly hides the concrete header type, so the router reads it through
// Values only.
type valuesOnly struct{ h alias.Header }

func (v valuesOnly) Values(k string) []string { return v.h.Values(k) }

// lookupOnly hides the MemoryStore, so the router uses Store.Lookup only.
type lookupOnly struct{ alias.Store }

// TestRouteHeaderTypes routes the same headers as a go-message
// *textproto.Header, *message.Header and *mail.Header (read without copying
// values, in one pass over the fields) and through Values alone, with the
// MemoryStore read in place and through Lookup: the routes must be equal,
// including fields with more values than the one-pass reader keeps.
func TestRouteHeaderTypes(t *testing.T) {
	s := fixture(t)
	fast := alias.NewRouter(s, nil)
	ref := alias.NewRouter(lookupOnly{s}, nil)
	var many strings.Builder
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&many, "Delivered-To: nobody%d@elsewhere.example\r\n", i)
	}
	many.WriteString("Delivered-To: sales@acme.desk.example\r\nTo: support@acme.example\r\n")
	headers := map[string]string{
		"A2/typical":               "Delivered-To: support@acme.desk.example\r\nX-Original-To: support@acme.example\r\nFrom: Mary <mary@customer.example>\r\nTo: \"Acme\" <support@acme.example>\r\nCc: b@customer.example\r\n",
		"A2/more values than kept": many.String(),
		"A2/folded and repeated":   "To: a@x.example,\r\n b@y.example\r\nTo: sales+vip@acme.example\r\nCC: support@acme.example\r\n",
		"A3/confirmation sender":   "From: Gmail Team <forwarding-noreply@google.com>\r\nTo: support@acme.example\r\n",
		"A2/no match":              "To: someone@else.example\r\n",
	}
	for name, raw := range headers {
		t.Run(name, func(t *testing.T) {
			h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(raw + "\r\n")))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			want, werr := ref.Route(ctx, nil, valuesOnly{&h})
			if (werr == nil) == (name == "A2/no match") {
				t.Fatalf("reference route: %+v %v", want, werr)
			}
			for _, hh := range []alias.Header{&h, &message.Header{Header: h}, &gmmail.Header{Header: message.Header{Header: h}}} {
				got, err := fast.Route(ctx, nil, hh)
				if !reflect.DeepEqual(got, want) || err != werr {
					t.Errorf("%T: %+v %v\nwant %+v %v", hh, got, err, want, werr)
				}
			}
		})
	}
}
