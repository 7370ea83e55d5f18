package bounce

import "strings"

// challengePhrases are the wording of challenge-response systems and
// whitelist requests: mail that holds our message until a human confirms,
// which is neither a failure nor an auto-reply.
var challengePhrases = []tagged{
	{"boxbe", famBoxbe}, {"guest list", famBoxbe}, {"waiting list", famBoxbe},
	{"spam arrest", famSpamArrest}, {"spamarrest", famSpamArrest},
	{"verify you are a human", famAny}, {"verify that you are a human", famAny}, {"verify you're a human", famAny},
	{"verify you are human", famAny}, {"prove you are human", famAny}, {"prove that you are human", famAny},
	{"confirm you are a human", famAny}, {"confirm that you are a human", famAny}, {"confirm that you are a real person", famAny},
	{"verify that you are a real person", famAny}, {"not a spam robot", famAny}, {"not an automated", famAny},
	{"added to my whitelist", famAny}, {"add yourself to my whitelist", famAny}, {"to my white list", famAny},
	{"approved sender list", famAny}, {"approved senders list", famAny}, {"whitelist request", famAny},
	{"please verify your message", famAny}, {"sender verification request", famAny}, {"challenge-response", famAny},
	{"challenge/response", famAny}, {"awaiting your confirmation", famAny}, {"pending your verification", famAny},
	{"bitte bestätigen sie, dass sie ein mensch sind", famAny}, {"confirmez que vous êtes un humain", famAny},
}

// isChallenge reports whether a mail without a delivery-status part is a
// challenge-response request or a whitelist notice: it uses their wording
// and carries no SMTP reply or enhanced status code, which a delivery
// failure that mentions a whitelist ("sender not in whitelist") does.
func (p *parser) isChallenge() bool {
	l := p.lowerReport()
	if len(l) > 4096 {
		l = l[:4096]
	}
	head := strings.ToLower(p.rep.From + "\n" + p.rep.Subject)
	found := false
	for _, c := range challengePhrases {
		if strings.Contains(l, c.text) || strings.Contains(head, c.text) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for _, line := range strings.Split(l, "\n") {
		if leadingCode(strings.TrimSpace(line)) != 0 || firstStatus(line) != "" && replyCode(line) != 0 {
			return false
		}
	}
	return true
}
