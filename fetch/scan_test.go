package fetch

import (
	"errors"
	"strings"
	"testing"
)

func TestIMAPScanBounds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream string
		want   error
	}{
		{"ordinary", "* OK hi\r\n* 1 FETCH (UID 1 BODY[] {5}\r\nab\r\nc)\r\na1 OK done\r\n", nil},
		{"literal+", "* 1 FETCH (BODY[] {5+}\r\nabcde)\r\n", nil},
		{"line too long", "* OK " + strings.Repeat("x", 200) + "\r\n", ErrTooLong},
		{"long line split by a literal", "* 1 FETCH (BODY[] {300}\r\n" + strings.Repeat("y", 300) + ")\r\n", nil},
		{"literal too large", "* 1 FETCH (BODY[] {4000000000}\r\n", ErrTooLong},
		{"announcement inside a literal", "* 1 FETCH (BODY[] {20}\r\n{99999999999}\r\nxxxxx)\r\n", nil},
		{"braces in text", "* OK {not a literal} {12x}\r\n* OK {7}x\r\n", nil},
		{"many digits", "* 1 FETCH (BODY[] {" + strings.Repeat("9", 40) + "}\r\n", ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newIMAPConn(nil, 100, 1000)
			err := c.scan([]byte(tc.stream))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("scan: %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzIMAPScan: the scanner never panics, and its verdict does not depend
// on how the stream is split into reads.
func FuzzIMAPScan(f *testing.F) {
	f.Add("* 1 FETCH (UID 1 BODY[] {5}\r\nab\r\nc)\r\na1 OK done\r\n", 3)
	f.Add("* 1 FETCH (BODY[] {4000000000}\r\n", 10)
	f.Add("* OK {7+}\r\n1234567\r\n", 1)
	f.Fuzz(func(t *testing.T, stream string, cut int) {
		whole := newIMAPConn(nil, 64, 256)
		errWhole := whole.scan([]byte(stream))
		if cut < 0 {
			cut = -cut
		}
		if len(stream) > 0 {
			cut %= len(stream) + 1
		} else {
			cut = 0
		}
		parts := newIMAPConn(nil, 64, 256)
		errParts := parts.scan([]byte(stream[:cut]))
		if errParts == nil {
			errParts = parts.scan([]byte(stream[cut:]))
		}
		if (errWhole == nil) != (errParts == nil) {
			t.Fatalf("whole: %v, split at %d: %v", errWhole, cut, errParts)
		}
		if errWhole == nil && (whole.litLeft != parts.litLeft || whole.st != parts.st) {
			t.Fatalf("states differ: %+v / %+v", whole, parts)
		}
	})
}
