package arc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
)

// The input bounds. A message over them is not verified: Verify returns
// an error wrapping ErrTooLarge for the header section, and a chain
// result of fail for too many instances.
const (
	// MaxInstances is the highest ARC instance (RFC 8617 section 4.2.1).
	MaxInstances = 50
	// MaxHeaderBytes is the longest header section read.
	MaxHeaderBytes = 1 << 20
	// MaxFields is the most header fields read.
	MaxFields = 2000
	// MaxFieldBytes is the longest ARC header field accepted; a longer
	// one makes the chain fail.
	MaxFieldBytes = dkim.MaxTagList
)

// ErrTooLarge is wrapped by the error of a message over the input bounds.
var ErrTooLarge = errors.New("arc: message over the input bounds")

// Result is a chain validation status (RFC 8617 section 4.4, cv=).
type Result string

// The chain validation statuses.
const (
	None Result = "none" // no ARC sets
	Pass Result = "pass" // every seal and the latest message signature verified
	Fail Result = "fail" // the chain is broken, malformed or failed
)

// The field names of an ARC set.
const (
	sealField = "ARC-Seal"
	amsField  = "ARC-Message-Signature"
	aarField  = "ARC-Authentication-Results"
)

// Instance is one ARC set as recorded in the message.
type Instance struct {
	// Instance is i=, from 1 (the first sealer) up.
	Instance int `json:"instance"`
	// Sealer is the ARC-Seal d= domain (lower-case), Selector its s=.
	Sealer   string `json:"sealer"`
	Selector string `json:"selector"`
	// CV is the chain status the sealer recorded (cv=).
	CV Result `json:"cv"`
	// SignerDomain is the ARC-Message-Signature d= domain.
	SignerDomain string `json:"signer_domain"`
	// AuthServID is the authserv-id of the ARC-Authentication-Results;
	// Results are its parsed results (nil when they do not parse), and
	// AuthResults its value after "i=N;", sanitised.
	AuthServID  string           `json:"authserv_id"`
	Results     []authres.Result `json:"-"`
	AuthResults string           `json:"auth_results"`
}

// set is one instance's three fields, raw and parsed.
type set struct {
	i        int
	seal     string // raw fields, CRLF-terminated
	ams      string
	aar      string
	sealTags map[string]string
	amsTags  map[string]string
}

// tagsOf parses the tag list of a raw ARC-Seal or ARC-Message-Signature.
func tagsOf(field string) (map[string]string, error) {
	tags, err := dkim.ParseTagList(fieldValue(field))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", fieldName(field), strings.TrimPrefix(err.Error(), "dkim: "))
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Name] = t.Value
	}
	return m, nil
}

// instanceOf parses i= of a tag map.
func instanceOf(v string) (int, error) {
	v = dkim.StripFWS(v)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || len(v) > 2 {
		return 0, fmt.Errorf("i=%q is not an instance number from 1 to %d", deskmail.SanitizeN(v, 10), MaxInstances)
	}
	if n > MaxInstances {
		return 0, fmt.Errorf("i=%d is over the %d-instance limit", n, MaxInstances)
	}
	return n, nil
}

// aarInstance reads "i=N;" at the start of an ARC-Authentication-Results
// value and returns N and the rest (authserv-id; results).
func aarInstance(value string) (int, string, error) {
	head, rest, ok := strings.Cut(value, ";")
	if !ok {
		return 0, "", errors.New("ARC-Authentication-Results has no i= tag")
	}
	name, v, ok := strings.Cut(head, "=")
	if !ok || strings.TrimSpace(name) != "i" {
		return 0, "", errors.New("ARC-Authentication-Results does not start with i=")
	}
	n, err := instanceOf(v)
	return n, rest, err
}

// collect gathers the ARC sets of h in instance order and checks their
// structure (RFC 8617 section 5.2 steps 2 and 3): one field of each kind
// per instance, instances 1..N without gaps, N at most MaxInstances. It
// returns the sets, or an error saying why the chain fails.
func collect(h header) ([]*set, error) {
	byI := map[int]*set{}
	max := 0
	for _, f := range h {
		name := fieldName(f)
		var kind int
		switch {
		case strings.EqualFold(name, sealField):
			kind = 0
		case strings.EqualFold(name, amsField):
			kind = 1
		case strings.EqualFold(name, aarField):
			kind = 2
		default:
			continue
		}
		if len(f) > MaxFieldBytes {
			return nil, fmt.Errorf("%s of %d bytes is over the %d-byte limit", name, len(f), MaxFieldBytes)
		}
		var i int
		var tags map[string]string
		var err error
		if kind == 2 {
			i, _, err = aarInstance(fieldValue(f))
		} else if tags, err = tagsOf(f); err == nil {
			i, err = instanceOf(tags["i"])
		}
		if err != nil {
			return nil, err
		}
		s := byI[i]
		if s == nil {
			s = &set{i: i}
			byI[i] = s
		}
		dup := false
		switch kind {
		case 0:
			dup, s.seal, s.sealTags = s.seal != "", f, tags
		case 1:
			dup, s.ams, s.amsTags = s.ams != "", f, tags
		case 2:
			dup, s.aar = s.aar != "", f
		}
		if dup {
			return nil, fmt.Errorf("instance %d has two %s fields", i, name)
		}
		max = maxInt(max, i)
	}
	if len(byI) == 0 {
		return nil, nil
	}
	sets := make([]*set, max)
	for i := 1; i <= max; i++ {
		s := byI[i]
		switch {
		case s == nil:
			return nil, fmt.Errorf("instance %d is missing (instances must run from 1 to %d without gaps)", i, max)
		case s.seal == "":
			return nil, fmt.Errorf("instance %d has no ARC-Seal", i)
		case s.ams == "":
			return nil, fmt.Errorf("instance %d has no ARC-Message-Signature", i)
		case s.aar == "":
			return nil, fmt.Errorf("instance %d has no ARC-Authentication-Results", i)
		}
		sets[i-1] = s
	}
	return sets, nil
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// instance describes s for the caller.
func (s *set) instance() Instance {
	in := Instance{
		Instance:     s.i,
		Sealer:       strings.ToLower(dkim.StripFWS(s.sealTags["d"])),
		Selector:     dkim.StripFWS(s.sealTags["s"]),
		CV:           Result(strings.ToLower(dkim.StripFWS(s.sealTags["cv"]))),
		SignerDomain: strings.ToLower(dkim.StripFWS(s.amsTags["d"])),
	}
	if _, rest, err := aarInstance(fieldValue(s.aar)); err == nil {
		rest = strings.TrimSpace(unfold.Replace(rest))
		in.AuthResults = deskmail.SanitizeN(rest, 2048)
		if id, results, err := authres.Parse(rest); err == nil {
			in.AuthServID, in.Results = deskmail.Sanitize(id), results
		} else if id, _, ok := strings.Cut(rest, ";"); ok {
			in.AuthServID = deskmail.Sanitize(strings.TrimSpace(id))
		}
	}
	return in
}

var unfold = strings.NewReplacer("\r\n", "", "\n", "")
