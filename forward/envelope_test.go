package forward

import "testing"

// TestEnvelope checks the rules that read the forwarding mail's own
// header: a header block quoting one of the mail's recipients under a
// subject without prefix is a reply, an auto-reply reads as a reply, and
// neither changes a separator that names a forward.
func TestEnvelope(t *testing.T) {
	const block = "From: Ama Boateng <ama@client.example>\nSent: Thursday, October 28, 2021 12:46 PM\nTo: orders@vendor.example\nSubject: Late order\n\nWhere is my order?\n"
	tests := []struct {
		name, header, body string
		want               bool
	}{
		{"F1/plain subject, quoted sender is To", "To: ama@client.example\nSubject: Late order\n", "It ships today.\n\n-----Original Message-----\n" + block, false},
		{"F1/plain subject, quoted sender is Cc", "To: support@desk.example\nCc: AMA@client.example\nSubject: Late order\n", "See below.\n\n________________________________\n" + block, false},
		{"F1/plain subject, quoted sender not a recipient", "To: support@desk.example\nSubject: Late order\n", "See below.\n\n-----Original Message-----\n" + block, true},
		{"F1/forward prefix, quoted sender is To", "To: ama@client.example\nSubject: FW: Late order\n", "-----Original Message-----\n" + block, true},
		{"F1/named forward separator, quoted sender is To", "To: ama@client.example\nSubject: Late order\n", "---------- Forwarded message ---------\n" + block, true},
		{"F1/auto-reply quoting the original", "To: ama@client.example\nSubject: Out of office: Late order\nAuto-Submitted: auto-replied\n", "I am away.\n\n-----Original Message-----\n" + block, false},
		{"F1/auto-generated is not an auto-reply", "To: support@desk.example\nSubject: Late order\nAuto-Submitted: auto-generated\n", "-----Original Message-----\n" + block, true},
		{"F1/X-Autoreply", "To: support@desk.example\nSubject: Late order\nX-Autoreply: yes\n", "-----Original Message-----\n" + block, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "From: Agent <agent@desk.example>\n" + tt.header + "Date: Fri, 29 Oct 2021 09:15:00 +0000\n\n" + tt.body
			got, err := ParseBytes([]byte(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Forwarded != tt.want {
				t.Errorf("Forwarded = %v, want %v (%s)", got.Forwarded, tt.want, got.Evidence)
			}
			if got.Forwarded && got.From.Addr() != "ama@client.example" {
				t.Errorf("From = %q", got.From.Addr())
			}
		})
	}
}
