package senderauth

import "testing"

func TestHasField(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"From: a@b.example\r\nDKIM-Signature: v=1\r\n\r\nbody", true},
		{"From: a@b.example\r\ndkim-signature : v=1\r\n\r\n", true},
		{"From: a@b.example\nDkim-Signature:v=1\n", true},
		{"From: a@b.example\r\n\r\nDKIM-Signature: in the body\r\n", false},
		{"From: a@b.example\r\nX-Note: DKIM-Signature: folded\r\n DKIM-Signature: no\r\n\r\n", false},
		{"Subject: x\r\n\r\r\nDKIM-Signature: after an empty line\r\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := hasField([]byte(tt.raw), "DKIM-Signature"); got != tt.want {
			t.Errorf("hasField(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}
