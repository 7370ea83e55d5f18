package bounce

import "strings"

// The phrase tables (phrases_decisive.go, phrases_general.go) are data: one
// table per reason and tier, each phrase tagged with the MTA or provider
// family it was collected from (famAny when many write it). A phrase is lower
// case; "a*b" matches when a occurs and b occurs after it. The tables are
// tried in order and the first reason with a matching phrase wins. They were
// collected from the bounces of real MTAs, much as sisimai's reason classes
// (BSD-2-Clause) collect them, and from the non-English texts MTAs emit.

// family names the MTA or provider a phrase comes from.
type family string

// The families phrases are tagged with.
const (
	famAny           family = ""
	famBoxbe         family = "Boxbe"
	famSpamArrest    family = "Spam Arrest"
	famICloud        family = "iCloud"
	famMailRu        family = "Mail.ru"
	famYandex        family = "Yandex"
	famZimbra        family = "Zimbra"
	famAmazonSES     family = "Amazon SES"
	famSendGrid      family = "SendGrid"
	famMandrill      family = "Mailchimp/Mandrill"
	famAOL           family = "AOL"
	famComcast       family = "Comcast"
	famCox           family = "Cox"
	famGoDaddy       family = "GoDaddy"
	famMimecast      family = "Mimecast"
	famTencent       family = "Tencent QQ"
	famCourier       family = "Courier"
	famDomino        family = "Domino"
	famExchange      family = "Exchange"
	famExim          family = "Exim"
	famGmail         family = "Gmail"
	famGroupWise     family = "GroupWise"
	famOffice365     family = "Office 365"
	famOpenSMTPD     family = "OpenSMTPD"
	famOrange        family = "Orange"
	famPostfix       family = "Postfix"
	famQmail         family = "qmail"
	famSendmail      family = "Sendmail"
	famSpamhausLists family = "Spamhaus lists"
	famYahoo         family = "Yahoo"
)

// tagged is one phrase of a reason table.
type tagged struct {
	text string
	from family
}

// reasonPhrases is the table of one reason.
type reasonPhrases struct {
	reason  Reason
	phrases []tagged
}

// matcher is a compiled phrase table.
type matcher struct {
	reasons []Reason
	phrases [][]phrase
}

// phrase is one entry of the table: fragments that must occur in order.
type phrase []string

// specificMatcher holds decisivePhrases: wording precise enough to win over
// an enhanced status code. defaultMatcher holds both tiers.
var (
	specificMatcher = compile(decisivePhrases)
	defaultMatcher  = compile(decisivePhrases, generalPhrases)
)

func compile(tiers ...[]reasonPhrases) *matcher {
	m := &matcher{}
	for _, tier := range tiers {
		for _, t := range tier {
			ps := make([]phrase, 0, len(t.phrases))
			for _, p := range t.phrases {
				ps = append(ps, phrase(strings.Split(p.text, "*")))
			}
			m.reasons = append(m.reasons, t.reason)
			m.phrases = append(m.phrases, ps)
		}
	}
	return m
}

// match returns the first reason with a phrase in lower-case text s. A
// bitmap of the text's byte pairs rejects most phrases before any search.
func (m *matcher) match(s string) Reason {
	if s == "" {
		return ""
	}
	var pairs bigrams
	pairs.fill(s)
	for i, ps := range m.phrases {
		for _, p := range ps {
			if p.mayBeIn(&pairs) && p.in(s) {
				return m.reasons[i]
			}
		}
	}
	return ""
}

// bigrams is a set of byte pairs, one bit per pair.
type bigrams [1024]uint64

func (b *bigrams) fill(s string) {
	for i := 0; i+1 < len(s); i++ {
		k := uint16(s[i])<<8 | uint16(s[i+1])
		b[k>>6] |= 1 << (k & 63)
	}
}

func (b *bigrams) has(x, y byte) bool {
	k := uint16(x)<<8 | uint16(y)
	return b[k>>6]&(1<<(k&63)) != 0
}

// mayBeIn reports whether every fragment's first, middle and last byte
// pairs occur in the text.
func (p phrase) mayBeIn(b *bigrams) bool {
	for _, f := range p {
		n := len(f)
		if n < 2 {
			continue
		}
		m := n / 2
		if m+1 >= n {
			m = n - 2
		}
		if !b.has(f[0], f[1]) || !b.has(f[m], f[m+1]) || !b.has(f[n-2], f[n-1]) {
			return false
		}
	}
	return true
}

func (p phrase) in(s string) bool {
	for _, f := range p {
		i := strings.Index(s, f)
		if i < 0 {
			return false
		}
		s = s[i+len(f):]
	}
	return true
}
