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

	netmail "net/mail"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
)

// TestRouteHeaderTypes routes the same headers as a go-message
// *textproto.Header, *message.Header and *mail.Header and as a
// deskmail.MailHeader (net/mail): every header type a host may hold gives
// the same route.
func TestRouteHeaderTypes(t *testing.T) {
	r, err := alias.NewRouter(fixture(t), nil)
	if err != nil {
		t.Fatal(err)
	}
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
			nm, err := netmail.ReadMessage(strings.NewReader(raw + "\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			want, werr := r.Route(ctx, nil, deskmail.MailHeader(nm.Header))
			if (werr == nil) == (name == "A2/no match") {
				t.Fatalf("net/mail route: %+v %v", want, werr)
			}
			for _, hh := range []deskmail.Header{&h, &message.Header{Header: h}, &gmmail.Header{Header: message.Header{Header: h}}} {
				got, err := r.Route(ctx, nil, hh)
				if !reflect.DeepEqual(got, want) || err != werr {
					t.Errorf("%T: %+v %v\nwant %+v %v", hh, got, err, want, werr)
				}
			}
		})
	}
}
