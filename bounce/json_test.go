package bounce

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestReportJSON checks that a Report a host logs or stores has snake_case
// keys, keeps the Original-Recipient of an expanded address, and survives a
// round trip (the raw original header is not part of the JSON form).
func TestReportJSON(t *testing.T) {
	b, err := os.ReadFile("testdata/written/postfix-list-expansion.eml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Recipients) != 1 || rep.Recipients[0].OriginalRecipient == "" {
		t.Fatalf("recipients %+v: want one with its Original-Recipient", rep.Recipients)
	}
	j, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"kind":"failure"`, `"recipients":[`, `"original_recipient":`, `"message_id":`, `"severity":"hard"`, `"original":{`} {
		if !strings.Contains(string(j), k) {
			t.Errorf("JSON lacks %s: %s", k, j)
		}
	}
	if strings.Contains(string(j), `"Raw"`) || strings.Contains(string(j), `"Address"`) {
		t.Errorf("JSON has Go field names: %s", j)
	}
	var back Report
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	want := *rep
	want.Original.Raw = nil
	for i := range want.Recipients {
		want.Recipients[i].unix, want.Recipients[i].mdn, want.Recipients[i].summary, want.Recipients[i].statusNote = false, false, false, ""
	}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, want)
	}
}
