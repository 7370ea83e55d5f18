package fetch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/fetch"
)

// TestSecretsNeverLeak: passwords and tokens stay out of errors, logs,
// health records and JSON.
func TestSecretsNeverLeak(t *testing.T) {
	const pass, token = "hunter2-very-secret", "ya29.token-very-secret"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pop := newFakePOP3(t)
	pop.token = "the-right-token"
	imapBox := fakeIMAP(t, "the-right-token", false)
	h := newHarness(t)
	f := h.fetcher(t, &fetch.Options{Logger: logger})
	srcs := []*fetch.Source{pop.source("p1"), pop.source("p2"), imapBox.source("i1"), imapBox.source("i2")}
	srcs[0].Password = pass
	srcs[1].Mechanism, srcs[1].Token, srcs[1].Password = fetch.MechXOAUTH2, fetch.TokenFunc(func(context.Context) (string, error) { return token, nil }), ""
	srcs[2].Password = pass
	srcs[3].Mechanism, srcs[3].Token, srcs[3].Password = fetch.MechXOAUTH2, fetch.TokenFunc(func(context.Context) (string, error) { return token, nil }), ""
	var texts []string
	for _, src := range srcs {
		res, err := f.Fetch(context.Background(), src)
		if !errors.Is(err, fetch.ErrAuth) {
			t.Fatalf("%s: %v, want ErrAuth", src.ID, err)
		}
		texts = append(texts, err.Error(), res.Health.LastError)
		b, _ := json.Marshal(res)
		texts = append(texts, string(b))
		b, _ = json.Marshal(src)
		texts = append(texts, string(b))
	}
	texts = append(texts, logs.String())
	if !strings.Contains(logs.String(), "attempt failed") {
		t.Errorf("no failure logged: %s", logs.String())
	}
	for _, s := range texts {
		if strings.Contains(s, pass) || strings.Contains(s, token) || strings.Contains(s, "hunter2") || strings.Contains(s, "ya29") {
			t.Errorf("a secret leaked: %s", s)
		}
	}
}

// TestSourceJSON: snake_case keys, no secrets.
func TestSourceJSON(t *testing.T) {
	src := fetch.Source{Account: "acme", ID: "s", Protocol: fetch.IMAP, Host: "imap.example", Username: "u", Password: "pw", OnlyNew: true, MoveTo: "Filed"}
	b, err := json.Marshal(src)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"account":"acme","id":"s","protocol":"imap","host":"imap.example","username":"u","move_to":"Filed","only_new":true}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}
