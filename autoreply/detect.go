package autoreply

import (
	"context"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
)

// Class is what kind of mail Detect found.
type Class string

// Classes, in the order of the checks that produce them.
const (
	// None: a mail written by a person, as far as the header tells.
	None Class = ""
	// Loop: our own mail coming back (our X-Loop value, or a Message-ID
	// this installation made).
	Loop Class = "loop"
	// AutoReply: mail submitted automatically (RFC 3834 auto-replied,
	// auto-generated, auto-notified, and the common non-standard markers of
	// vacation responders, notification systems and delivery reports).
	AutoReply Class = "auto-reply"
	// Bulk: bulk or junk mail (Precedence: bulk or junk, List-Unsubscribe
	// without List-Id, Feedback-ID).
	Bulk Class = "bulk"
	// List: mail sent through a mailing list (List-Id and the other RFC
	// 2369 / RFC 2919 fields, Precedence: list).
	List Class = "list"
)

// Result is what Detect decided and why. It is meant to be logged and
// stored: every field has a snake_case JSON name, and Value and Reason
// passed through deskmail.Sanitize, so neither carries control characters
// from the mail.
type Result struct {
	// Class is None for mail a person wrote.
	Class Class `json:"class"`
	// Header is the canonical name of the field that decided
	// ("Auto-Submitted", "Precedence", "List-Id" …); empty for None.
	Header string `json:"header,omitempty"`
	// Value is that field's value, sanitised and cut to 200 bytes.
	Value string `json:"value,omitempty"`
	// Reason is a sentence a person can read.
	Reason string `json:"reason"`
}

// Automatic reports whether the mail must not get an automatic response:
// any class but None (RFC 3834 §2).
func (r Result) Automatic() bool { return r.Class != None }

// Options configure Detect. A nil *Options checks no loop markers of our
// own.
type Options struct {
	// XLoop is the X-Loop value this installation puts on its automatic
	// mail (see Fields). An incoming X-Loop equal to it (case-insensitive)
	// is a Loop; any other X-Loop is AutoReply. Empty means every X-Loop is
	// AutoReply.
	XLoop string
	// OwnMessageID reports whether a Message-ID (without angle brackets)
	// was made by this installation: the threading package exports one.
	// A match is a Loop. Nil means Message-IDs are not checked. The
	// function is injected so that autoreply does not import threading;
	// it gets Detect's context, and an error it returns is returned by
	// Detect (wrapped), with no class decided.
	OwnMessageID func(ctx context.Context, messageID string) (bool, error)
}

const maxValue = 200

// rule is one row of the detection table.
type rule struct {
	header string
	check  func(v string) (Class, string) // "" reason means no match
}

// Detect classifies a mail from its header: Loop, AutoReply, Bulk, List
// or None, with the field that decided. Checks run in this order and the
// first match wins: our own loop markers; RFC 3834 Auto-Submitted; the
// non-standard auto-reply fields; Precedence; the list fields; bulk
// markers; the null return path and delivery-report fields; sender
// mailboxes that are automatic by convention; auto-reply subject prefixes.
// The table in the package documentation lists every field with its
// source.
//
// Every value of a field is looked at (at most 20), not only the first:
// a second Precedence or X-Loop counts too.
//
// Detect reads at most the fields it names, does no I/O of its own (only
// Options.OwnMessageID may) and is safe for concurrent use. The error is
// non-nil only when OwnMessageID fails; it wraps that error.
func Detect(ctx context.Context, h deskmail.Header, opts *Options) (Result, error) {
	if h == nil {
		return Result{Reason: "no header"}, nil
	}
	if opts != nil {
		if opts.XLoop != "" {
			for _, v := range values(h, "X-Loop") {
				if strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(opts.XLoop)) {
					return result(Loop, "X-Loop", v, "X-Loop carries this installation's value: our own mail came back"), nil
				}
			}
		}
		if opts.OwnMessageID != nil {
			if id := messageID(h.Get("Message-ID")); id != "" {
				own, err := opts.OwnMessageID(ctx, id)
				if err != nil {
					return Result{}, fmt.Errorf("autoreply: checking Message-ID %q: %w", deskmail.Sanitize(id), err)
				}
				if own {
					return result(Loop, "Message-ID", id, "the Message-ID was made by this installation: our own mail came back"), nil
				}
			}
		}
	}
	for _, r := range rules {
		for _, v := range values(h, r.header) {
			if c, reason := r.check(v); reason != "" {
				return result(c, r.header, v, reason), nil
			}
		}
	}
	return Result{Reason: "no automatic, bulk or list marker in the header"}, nil
}

// result builds a Result; value and reason come from the mail in part, so
// both are sanitised here, once, for every rule.
func result(c Class, header, value, reason string) Result {
	return Result{
		Class:  c,
		Header: header,
		Value:  deskmail.SanitizeN(strings.TrimSpace(value), maxValue-len("…")),
		Reason: deskmail.SanitizeN(reason, 2*maxValue),
	}
}

// values returns every value of a field, at most 20.
func values(h deskmail.Header, key string) []string {
	vs := h.Values(key)
	if len(vs) > 20 {
		vs = vs[:20]
	}
	return vs
}

// messageID returns the id inside the first <…> of v, or v trimmed.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	return v
}

// token returns the first word of a structured value, lower case, without
// comments or parameters: "Auto-Replied (vacation); owner=x" gives
// "auto-replied".
func token(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ";( \t"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.Trim(v, `"`))
}

func always(c Class, reason string) func(string) (Class, string) {
	return func(v string) (Class, string) {
		if strings.TrimSpace(v) == "" {
			return None, ""
		}
		return c, reason
	}
}

// falsy values a few systems write to say "not automatic".
func falsy(v string) bool {
	switch token(v) {
	case "no", "false", "0", "off":
		return true
	}
	return false
}

func unlessFalsy(c Class, reason string) func(string) (Class, string) {
	return func(v string) (Class, string) {
		if strings.TrimSpace(v) == "" || falsy(v) {
			return None, ""
		}
		return c, reason
	}
}

var rules = []rule{
	// RFC 3834 §5: any value other than "no" marks automatic mail.
	{"Auto-Submitted", func(v string) (Class, string) {
		switch t := token(v); t {
		case "", "no":
			return None, ""
		case "auto-replied":
			return AutoReply, "Auto-Submitted: auto-replied (RFC 3834): an automatic response"
		case "auto-generated":
			return AutoReply, "Auto-Submitted: auto-generated (RFC 3834): generated by an automatic process"
		case "auto-notified":
			return AutoReply, "Auto-Submitted: auto-notified (RFC 5436): a Sieve notification"
		default:
			return AutoReply, "Auto-Submitted with a value other than \"no\" (RFC 3834 §5)"
		}
	}},
	{"X-Auto-Response-Suppress", func(v string) (Class, string) {
		for _, f := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			switch f {
			case "all", "oof", "autoreply":
				return AutoReply, "X-Auto-Response-Suppress: " + f + " (Microsoft Exchange): the sender is an automatic responder"
			}
		}
		return None, ""
	}},
	{"X-Autoreply", unlessFalsy(AutoReply, "X-Autoreply: a vacation or auto-responder reply")},
	{"X-Autorespond", unlessFalsy(AutoReply, "X-Autorespond: an auto-responder reply")},
	{"X-Autoresponse", unlessFalsy(AutoReply, "X-Autoresponse: an auto-responder reply")},
	{"X-AutoReply-From", always(AutoReply, "X-AutoReply-From: an auto-responder reply")},
	{"X-Mail-Autoreply", always(AutoReply, "X-Mail-Autoreply: an auto-responder reply")},
	{"X-Autogenerated", always(AutoReply, "X-Autogenerated: generated by an automatic process")},
	{"X-Auto-Generated", always(AutoReply, "X-Auto-Generated: generated by an automatic process")},
	{"X-FC-MachineGenerated", unlessFalsy(AutoReply, "X-FC-MachineGenerated: generated by an automatic process")},
	{"X-POST-MessageClass", func(v string) (Class, string) {
		if strings.Contains(strings.ToLower(v), "autoresponder") {
			return AutoReply, "X-POST-MessageClass: autoresponder"
		}
		return None, ""
	}},
	{"X-Amazon-Mail-Relay-Type", func(v string) (Class, string) {
		if token(v) == "notification" {
			return AutoReply, "X-Amazon-Mail-Relay-Type: notification (Amazon marketplace relay)"
		}
		return None, ""
	}},
	{"X-Loop", always(AutoReply, "X-Loop from another system: mail sent by an automatic process")},
	{"RT-Loop-Prevention", always(AutoReply, "RT-Loop-Prevention (Request Tracker): mail from a ticket system")},
	{"X-OTRS-Loop", unlessFalsy(AutoReply, "X-OTRS-Loop: mail from a ticket system")},
	{"X-Zammad-Loop", unlessFalsy(AutoReply, "X-Zammad-Loop: mail from a ticket system")},
	{"Precedence", precedence},
	{"X-Precedence", precedence},
	// RFC 2919 and RFC 2369.
	{"List-Id", always(List, "List-Id (RFC 2919): sent through a mailing list")},
	{"List-Post", always(List, "List-Post (RFC 2369): sent through a mailing list")},
	{"Mailing-List", always(List, "Mailing-List: sent through a mailing list")},
	{"X-Mailing-List", always(List, "X-Mailing-List: sent through a mailing list")},
	{"List-Unsubscribe", always(Bulk, "List-Unsubscribe (RFC 2369, RFC 8058) without List-Id: bulk or newsletter mail")},
	{"Feedback-ID", always(Bulk, "Feedback-ID (Gmail feedback loop): sent through a bulk sending platform")},
	{"X-Campaign-Id", always(Bulk, "X-Campaign-Id: a marketing campaign")},
	// Delivery reports: null reverse-path (RFC 5321 §4.5.5, RFC 3834 §2).
	{"Return-Path", func(v string) (Class, string) {
		if s := strings.TrimSpace(v); s == "<>" || s == "<\"\">" {
			return AutoReply, "null Return-Path <>: a delivery report or other automatic mail (RFC 3834 §2)"
		}
		return None, ""
	}},
	{"X-Failed-Recipients", always(AutoReply, "X-Failed-Recipients (Exim): a delivery failure report")},
	{"From", automaticSender},
	{"Subject", autoSubject},
}

func precedence(v string) (Class, string) {
	switch token(v) {
	case "bulk":
		return Bulk, "Precedence: bulk"
	case "junk":
		return Bulk, "Precedence: junk"
	case "list":
		return List, "Precedence: list"
	case "auto_reply", "auto-reply":
		return AutoReply, "Precedence: auto_reply"
	}
	return None, ""
}

// automaticSender recognises mailboxes that are automatic by convention
// (RFC 2142 / RFC 3834 §2 mention MAILER-DAEMON and the null sender).
func automaticSender(v string) (Class, string) {
	lv := strings.ToLower(v)
	at := strings.LastIndexByte(lv, '@')
	if at < 0 {
		return None, ""
	}
	start := strings.LastIndexAny(lv[:at], "<\t ,\"") + 1
	local := lv[start:at]
	switch local {
	case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon":
		return AutoReply, "From " + local + ": a delivery report"
	case "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply":
		return AutoReply, "From " + local + ": a mailbox that takes no replies"
	}
	return None, ""
}

// autoSubjectPrefixes are the subject prefixes of out-of-office replies of
// the common servers, for responders that set no header (lower case).
var autoSubjectPrefixes = []string{
	"automatic reply:", "autoreply:", "auto-reply:", "auto reply:", "out of office:",
	"out of office autoreply:", "abwesenheitsnotiz:", "automatische antwort:",
	"réponse automatique :", "réponse automatique:", "respuesta automática:",
	"risposta automatica:", "automatisch antwoord:", "autosvar:", "automaattinen vastaus:",
	"resposta automática:", "automatyczna odpowiedź:", "автоматический ответ:",
	"自動応答:", "自动回复:", "自動回覆:",
}

func autoSubject(v string) (Class, string) {
	lv := strings.ToLower(strings.TrimSpace(v))
	for _, p := range autoSubjectPrefixes {
		if strings.HasPrefix(lv, p) {
			return AutoReply, "subject prefix \"" + p + "\" of an out-of-office reply"
		}
	}
	return None, ""
}
