package threading_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/threading"
)

// Values a host stores or logs round-trip through JSON with snake_case keys.
func TestJSONRoundTrip(t *testing.T) {
	from, _ := deskmail.ParseAddress("Mary <mary@customer.example>")
	values := []any{
		&threading.Entry{MessageID: "a@b", Ticket: "42", Outbound: true, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		&threading.Token{Install: "acme", Account: "7", Ticket: "42", Message: "1001"},
		&threading.Ticket{ID: "42", Number: "123", Contact: "mary@customer.example", CC: []string{"b@x.example"}},
		&threading.Agent{ID: "brad", Active: true},
		&threading.Headers{MessageID: "<a@b>", InReplyTo: "<c@d>", References: "<c@d>", Subject: "Re: x [#123]"},
		&threading.Inbound{Account: "7", MessageID: "<a@b>", Subject: "hi", From: from, Settings: &threading.Settings{SubjectNumber: true}},
		&threading.Match{Ticket: "42", Method: threading.MethodToken, Reason: deskmail.Reason{Code: "token_in_reply_to", Text: "x"}},
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{`"MessageID"`, `"Ticket"`, `"Install"`, `"Name"`, `"Code"`} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%T: key %s is not snake_case: %s", v, bad, b)
			}
		}
		back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, v) {
			t.Errorf("%T: round trip\n got %+v\nwant %+v", v, back, v)
		}
	}
}
