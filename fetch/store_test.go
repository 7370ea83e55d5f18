package fetch_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/fetch"
	"github.com/deskmail/deskmail/fetch/fetchtest"
)

func TestMemoryStore(t *testing.T) {
	fetchtest.TestStore(t, func(*testing.T) fetch.Store { return fetch.NewMemoryStore() })
}

func TestStateJSON(t *testing.T) {
	b, err := json.Marshal(fetch.State{UIDValidity: 1, LastUID: 2, UIDLs: []string{"x"}, Settings: "fp"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"uid_validity":1,"last_uid":2,"uidls":["x"],"settings":"fp"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	if strings.Contains(string(b), "LastUID") {
		t.Error("JSON keys are not snake_case")
	}
}
