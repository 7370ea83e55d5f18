package deskmail_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
)

func TestKind(t *testing.T) {
	for _, k := range deskmail.Kinds() {
		if !k.Valid() {
			t.Errorf("%q not valid", k)
		}
	}
	if deskmail.Kind("spam").Valid() || deskmail.Kind("").Valid() {
		t.Error("unknown kinds valid")
	}
	if len(deskmail.Kinds()) != 5 {
		t.Errorf("Kinds = %v", deskmail.Kinds())
	}
}

func TestEnvelopeClone(t *testing.T) {
	e := &deskmail.Envelope{Account: "acme", From: "b@x.example", To: []string{"a@y.example"}, Kind: deskmail.KindReply}
	c := e.Clone()
	c.To[0] = "changed@y.example"
	c.To = append(c.To, "more@y.example")
	if e.To[0] != "a@y.example" || len(e.To) != 1 {
		t.Errorf("Clone shares To: %v", e.To)
	}
	if c.Account != "acme" || c.Kind != deskmail.KindReply {
		t.Errorf("Clone = %+v", c)
	}
}

// recorder is a Transport that records the order of calls.
func recorder(log *[]string, name string) deskmail.Middleware {
	return func(next deskmail.Transport) deskmail.Transport {
		return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
			*log = append(*log, name)
			return next.Send(ctx, env, msg)
		})
	}
}

func TestChain(t *testing.T) {
	var log []string
	base := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		log = append(log, "transport")
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "ok"), nil
	})
	tr := deskmail.Chain(base, recorder(&log, "a"), recorder(&log, "b"))
	env := &deskmail.Envelope{Account: "acme", To: []string{"x@y.example", "z@y.example"}}
	res, err := tr.Send(context.Background(), env, []byte("Subject: hi\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(log, ",") != "a,b,transport" {
		t.Errorf("order = %v, want a,b,transport", log)
	}
	if len(res.Recipients) != 2 || res.Recipients[1].Recipient != "z@y.example" || res.Recipients[1].Status != deskmail.StatusDelivered {
		t.Errorf("result = %+v", res)
	}
	if r, ok := res.Recipient("x@y.example"); !ok || r.Code != 250 || r.EnhancedCode != "2.0.0" {
		t.Errorf("Recipient = %+v, %v", r, ok)
	}
	if _, ok := res.Recipient("nobody@y.example"); ok {
		t.Error("Recipient found an unknown address")
	}
	var nilRes *deskmail.Result
	if _, ok := nilRes.Recipient("x"); ok {
		t.Error("nil Result has a recipient")
	}
	if got := deskmail.Chain(base); got == nil {
		t.Error("Chain without middlewares returned nil")
	}
}

func TestTransportError(t *testing.T) {
	boom := errors.New("connection refused")
	tr := deskmail.TransportFunc(func(context.Context, *deskmail.Envelope, []byte) (*deskmail.Result, error) { return nil, boom })
	if _, err := tr.Send(context.Background(), &deskmail.Envelope{}, nil); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestRecipientResultString(t *testing.T) {
	tests := []struct {
		rr   deskmail.RecipientResult
		want string
	}{
		{deskmail.RecipientResult{Recipient: "a@x", Status: deskmail.StatusDelivered}, "a@x: delivered"},
		{deskmail.RecipientResult{Recipient: "a@x", Status: deskmail.StatusRejected, Code: 550, EnhancedCode: "5.1.1", Reason: "userunknown", Message: "no such user"},
			"a@x: rejected 550 5.1.1 (userunknown): no such user"},
		{deskmail.RecipientResult{Recipient: "a@x", Status: deskmail.StatusDropped, Reason: "hard_blocked"}, "a@x: dropped (hard_blocked)"},
	}
	for _, tc := range tests {
		if got := tc.rr.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
