package threading

import "strings"

// maxIDs bounds how many message ids are taken from one header, so a hostile
// References header cannot make matching expensive.
const maxIDs = 100

// ParseMessageIDs returns the msg-ids of a Message-ID, In-Reply-To or
// References header value, without angle brackets, in header order, at most
// 100 of them. It is lenient the way mail clients are: comments and phrases
// between ids are skipped (In-Reply-To: <a@b> (Bob's message of Monday)),
// and a value without any angle bracket is split on white space and
// commas, keeping the words that hold an @.
func ParseMessageIDs(s string) []string {
	return appendIDs(nil, s, maxIDs)
}

func appendIDs(dst []string, s string, max int) []string {
	if strings.IndexByte(s, '<') < 0 {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' }) {
			if len(dst) >= max {
				break
			}
			if strings.IndexByte(f, '@') > 0 && !strings.ContainsAny(f, "<>()\"") {
				dst = append(dst, f)
			}
		}
		return dst
	}
	for len(dst) < max {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		s = s[i+1:]
		// Scan to the closing '>', noting white space; a '<' restarts.
		j, space := 0, false
		for ; j < len(s); j++ {
			c := s[j]
			if c == '<' || c == '>' {
				break
			}
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				space = true
			}
		}
		if j == len(s) {
			break
		}
		if s[j] == '<' { // "<<id>" or an unterminated id: restart at the inner '<'
			s = s[j:]
			continue
		}
		id := s[:j]
		s = s[j+1:]
		if space {
			id = strings.TrimSpace(id)
			if strings.ContainsAny(id, " \t\r\n") {
				continue
			}
		}
		if id != "" {
			dst = append(dst, id)
		}
	}
	return dst
}

// cleanID returns id without angle brackets and surrounding white space.
func cleanID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) >= 2 && id[0] == '<' && id[len(id)-1] == '>' {
		id = strings.TrimSpace(id[1 : len(id)-1])
	}
	return id
}

// validID reports whether id (without brackets) can be written between
// angle brackets in a header: printable ASCII or UTF-8, no space, no
// brackets, no CR/LF.
func validID(id string) bool {
	if id == "" || len(id) > 995 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c == '<' || c == '>' || c == 0x7f {
			return false
		}
	}
	return true
}
