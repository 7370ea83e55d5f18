package deskmail

import "fmt"

// Reason is one step of a decision deskmail made: a short machine-readable
// code a host can branch on and a sentence a person can read. Codes are
// stable across releases; texts may change. Text never holds raw mail text:
// whatever it quotes from a mail went through Sanitize.
type Reason struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// NewReason returns a Reason whose text is fmt.Sprintf(format, args...), with
// every string argument passed through Sanitize first, so a display name or
// subject quoted in the text cannot carry control characters.
func NewReason(code, format string, args ...any) Reason {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = Sanitize(v)
		case fmt.Stringer:
			args[i] = Sanitize(v.String())
		case error:
			args[i] = Sanitize(v.Error())
		}
	}
	return Reason{Code: code, Text: fmt.Sprintf(format, args...)}
}

// String returns "code: text".
func (r Reason) String() string { return r.Code + ": " + r.Text }
