package forward

import (
	"encoding/json"
	"os"
	"testing"
)

// TestCrispTables parses a forward written from each client and language
// row of another parser's tables (testdata/crisptables): the separator,
// the subject prefix and the From/Date/Subject/To labels crisp's
// email-forward-parser knows for that client and locale, or its
// attribution line. Every one must give the original sender and, when a
// header block carries it, the original subject (F1, F2).
func TestCrispTables(t *testing.T) {
	f, err := os.Open("testdata/crisptables/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	n := 0
	for dec.More() {
		var c struct{ Client, Locale, Subject, Body string }
		if err := dec.Decode(&c); err != nil {
			t.Fatal(err)
		}
		n++
		got, err := ParseText(c.Subject, c.Body, nil)
		if err != nil {
			t.Errorf("%s/%s: %v", c.Client, c.Locale, err)
			continue
		}
		if !got.Forwarded || got.From.Addr() != "ann.lee@example.com" || got.From.Name != "Ann Lee" {
			t.Errorf("%s/%s: forwarded=%v from %q <%s> (%s), want Ann Lee <ann.lee@example.com>\n%s",
				c.Client, c.Locale, got.Forwarded, got.From.Name, got.From.Addr(), got.Evidence, c.Body)
			continue
		}
		if got.Subject != "Invoice 42" {
			t.Errorf("%s/%s: subject %q, want %q\n%s", c.Client, c.Locale, got.Subject, "Invoice 42", c.Body)
		}
	}
	if n < 150 {
		t.Fatalf("read %d cases, want 150", n)
	}
}
