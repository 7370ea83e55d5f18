package compose

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/deskmail/deskmail"
)

// formatAddr writes a mailbox for a header. Without SMTPUTF8 the display
// name is RFC 2047 encoded when needed and the local part must be ASCII;
// with it, the name is raw UTF-8 (RFC 6532), quoted when it holds specials.
func formatAddr(a deskmail.Address, u8 bool) (string, error) {
	if !isASCII(a.Local) && !u8 {
		return "", fmt.Errorf("%w: %s", ErrNeedsSMTPUTF8, deskmail.Sanitize(a.Addr()))
	}
	switch {
	case a.Name == "":
		return a.Addr(), nil
	case u8:
		return deskmail.FormatNameUTF8(a.Name) + " <" + a.Addr() + ">", nil
	}
	return deskmail.FormatName(a.Name) + " <" + a.Addr() + ">", nil
}

func formatList(as []deskmail.Address, u8 bool) (string, error) {
	parts := make([]string, len(as))
	for i, a := range as {
		v, err := formatAddr(a, u8)
		if err != nil {
			return "", err
		}
		parts[i] = v
	}
	return strings.Join(parts, ", "), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
