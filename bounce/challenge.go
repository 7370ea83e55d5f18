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

// challengeRequests are the diagnostics with which a challenge-response
// system or a confirmation gate answers in a delivery-status report: the
// message waits, or is refused, until the sender (or the sending server)
// confirms itself, which says nothing about the recipient's address.
var challengeRequests = []tagged{
	{"not pre-approved", famBoxbe}, {"pre-approved senders", famAny},
	{"requires confirmation", famAny}, {"confirm this mail server", famAny},
	{"confirm your message", famAny}, {"confirm your e-mail", famAny}, {"confirm your email", famAny},
	{"verify your e-mail address", famAny}, {"verify your email address", famAny},
	{"awaiting sender confirmation", famAny}, {"pending sender verification", famAny},
}

// isChallengeReport reports whether every recipient of a delivery-status
// report was answered by a challenge or a confirmation request rather than
// by a delivery failure: such a report is not a bounce, and must not count
// against the address.
func (p *parser) isChallengeReport() bool {
	if len(p.rep.Recipients) == 0 {
		return false
	}
	for _, rc := range p.rep.Recipients {
		if strings.HasPrefix(rc.Status[min(1, len(rc.Status)):], ".1.") {
			// An addressing status (5.1.1 and the like) is about the
			// recipient's address whatever else the text asks for.
			return false
		}
		d := collapseSpace(strings.ToLower(rc.Diagnostic))
		if d == "" || !(containsTagged(d, challengeRequests) || containsTagged(d, challengePhrases)) {
			return false
		}
	}
	return true
}

func containsTagged(s string, phrases []tagged) bool {
	for _, c := range phrases {
		if strings.Contains(s, c.text) {
			return true
		}
	}
	return false
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
	if !containsTagged(l, challengePhrases) && !containsTagged(head, challengePhrases) {
		return false
	}
	for _, line := range strings.Split(l, "\n") {
		if leadingCode(strings.TrimSpace(line)) != 0 || firstStatus(line) != "" && replyCode(line) != 0 {
			return false
		}
	}
	return true
}
