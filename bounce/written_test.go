package bounce

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWrittenCorpus checks the mails we wrote ourselves (testdata/written,
// described in its README) for what each one is written to show: the kind,
// and for a report the failed recipient and the reason.
func TestWrittenCorpus(t *testing.T) {
	tests := []struct {
		file      string
		kind      ReportKind
		recipient string
		reason    Reason
	}{
		{"postfix-userunknown.eml", KindFailure, "anna.berg@customer.example", ReasonUserUnknown},
		{"postfix-quota-generic.eml", KindFailure, "lena@customer.example", ReasonMailboxFull},
		{"postfix-expired-447.eml", KindFailure, "ops@slow.example", ReasonExpired},
		{"postfix-delay-warning.eml", KindDelay, "paul@busy.example", ReasonExpired},
		{"qmail-notfound-571.eml", KindFailure, "kai@shop.example", ReasonUserUnknown},
		{"qmail-overquota.eml", KindFailure, "mira@shop.example", ReasonMailboxFull},
		{"qmail-nomailbox.eml", KindFailure, "old.user@mail.example.org", ReasonUserUnknown},
		{"exim-policy-wrapped-unknown.eml", KindFailure, "tom@corp.example", ReasonUserUnknown},
		{"sendmail-sender-rejected.eml", KindFailure, "ines@partner.example", ReasonRejected},
		{"exchange2003-unknown.eml", KindFailure, "jack.miller@corp.example", ReasonUserUnknown},
		{"exchange2000-full.eml", KindFailure, "sarah.connor@corp.example", ReasonMailboxFull},
		{"exchange-de-unknown.eml", KindFailure, "klaus.weber@firma.example", ReasonUserUnknown},
		{"exchange-ja-full.eml", KindFailure, "yamada.taro@kaisha.example", ReasonMailboxFull},
		{"exchange-fr-unknown.eml", KindFailure, "marie.dupont@societe.example", ReasonUserUnknown},
		{"aol-early-unknown.eml", KindFailure, "lostcat2004@aol.com", ReasonUserUnknown},
		{"sendmail-hostunknown-nomessage.eml", KindFailure, "bob@nowhere.invalid", ReasonHostUnknown},
		{"exim-delay-warning.eml", KindDelay, "greta@later.example", ReasonExpired},
		{"exim-forward-address-quoted.eml", KindFailure, "julia.private@far.example", ReasonUserUnknown},
		{"postfix-list-expansion.eml", KindFailure, "ben.ortiz@member.example", ReasonUserUnknown},
		{"postfix-quoted-localpart.eml", KindFailure, `"john..doe"@customer.example`, ReasonUserUnknown},
		{"sendmail-quoted-space.eml", KindFailure, `"a b"@customer.example`, ReasonUserUnknown},
		{"boxbe-challenge.eml", KindNone, "", ""},
		{"challenge-verify-human.eml", KindNone, "", ""},
		{"postfix-delivered-notice.eml", KindDelivery, "sam@customer.example", ReasonDelivered},
		{"sendmail-relayed-notice.eml", KindDelivery, "lisa@legacy.example", ReasonDelivered},
		{"gmail-disabled.eml", KindFailure, "nora.k@gmail.com", ReasonSuspend},
		{"yahoo-nouser-500.eml", KindFailure, "yusuf.t@yahoo.com", ReasonUserUnknown},
		{"office365-blocked.eml", KindFailure, "omar@tenant.example", ReasonBlocked},
		{"mailru-full-ru.eml", KindFailure, "ivan.petrov@mail.ru", ReasonMailboxFull},
		{"domino-notlisted.eml", KindFailure, "grace.h@notes.example", ReasonUserUnknown},
		{"vacation-autoreply.eml", KindVacation, "helen@customer.example", ReasonVacation},
		{"sendmail-expired-5days.eml", KindFailure, "dave@gone.example", ReasonExpired},
		{"exchange2010-expired.eml", KindFailure, "finance@remote.example", ReasonExpired},
		{"courier-unknown.eml", KindFailure, "zoe@courier.example", ReasonUserUnknown},
		// No SMTP stage is named: sisimai's taxonomy reads an unknown user
		// outside RCPT TO as a filter's refusal (hard either way).
		{"groupwise-notfound.eml", KindFailure, "carl@gw.example", ReasonFiltered},
		{"yandex-disabled.eml", KindFailure, "olga.s@yandex.ru", ReasonSuspend},
		{"icloud-unknown.eml", KindFailure, "sky.w@icloud.com", ReasonUserUnknown},
		{"german-plain-full.eml", KindFailure, "hans.mueller@beispiel.example", ReasonMailboxFull},
		{"exim-retry-timeout.eml", KindFailure, "ella@sleepy.example", ReasonExpired},
		{"postfix-relay-denied.eml", KindFailure, "ruth@other.example", ReasonNoRelaying},
		{"list-owner-quoted-body.eml", KindFailure, "victor.n@corp.example", ReasonUserUnknown},
		{"auto-reply-ticket.eml", KindVacation, "help@acme.example", ReasonVacation},
		{"sendmail-rejected-mailfrom.eml", KindFailure, "nina@strict.example", ReasonRejected},
		{"qmail-forward-failed.eml", KindFailure, "real.owner@far.example", ReasonUserUnknown},
		{"amazonses-dsn-unknown.eml", KindFailure, "pat.q@remote.example", ReasonUserUnknown},
		{"sendgrid-blocked.eml", KindFailure, "rita@bigcorp.example", ReasonSpamDetected},
		{"mandrill-softbounce-full.eml", KindFailure, "quinn@mail.example", ReasonMailboxFull},
		// As groupwise-notfound: no SMTP stage is named.
		{"zimbra-not-exist.eml", KindFailure, "leo@zimbra.example", ReasonFiltered},
		{"qmail-nohost.eml", KindFailure, "max@no-such-host.example", ReasonHostUnknown},
		{"qmail-ldap-novalid.eml", KindFailure, "finn@isp.example", ReasonUserUnknown},
		{"qmail-vpopmail-nomailbox.eml", KindFailure, "gina@host.example", ReasonUserUnknown},
		{"qmail-sender-rejected.eml", KindFailure, "hugo@picky.example", ReasonRejected},
		{"not-noreply-notification.eml", KindNone, "", ""},
		{"not-parcel-delivery.eml", KindNone, "", ""},
		{"not-customer-pastes-error.eml", KindNone, "", ""},
		{"not-ci-failed.eml", KindNone, "", ""},
		{"not-newsletter-bounce-word.eml", KindNone, "", ""},
		{"exchange55-headerless-mime.eml", KindFailure, "peter.lang@kunde.example", ReasonUserUnknown},
		{"exchange55-x400-recipient.eml", KindFailure, "marta.klein@firma.example", ReasonUserUnknown},
		{"bulleted-failed-permanently.eml", KindFailure, "hugo.brandt@far.example", ReasonUserUnknown},
		{"inline-mailbox-full.eml", KindFailure, "lea.sommer@voll.example", ReasonMailboxFull},
		{"sieve-reject-mdn.eml", KindFailure, "jan.vos@privat.example", ReasonFiltered},
		{"not-read-receipt-mdn.eml", KindNone, "", ""},
		{"copy-marker-quoted-addresses.eml", KindFailure, "ann.gray@gone.example", ReasonUserUnknown},
		{"exim-generated-from-pipe.eml", KindFailure, "tim.ross@alias.example", ReasonMailboxFull},
		{"postfix-wrapped-rcpt-unknown.eml", KindFailure, "pia.lund@north.example", ReasonUserUnknown},
		{"lsmtp-error-for.eml", KindFailure, "jonas.berg@fern.example", ReasonUserUnknown},
		{"ru-mailbox-inline.eml", KindFailure, "olga.smirnova@pochta.example", ReasonUserUnknown},
		{"not-quota-warning-help-address.eml", KindNone, "", ""},
		{"aol-screenname-notaccepting.eml", KindFailure, "kittyfan77@aol.com", ReasonRejected},
		{"dsn-repeated-blocks.eml", KindFailure, "omar.said@retry.example", ReasonUserUnknown},
		{"not-collected-expired.eml", KindFailure, "rolf.brink@oldisp.example", ReasonExpired},
		{"pmdf-size-exceeded.eml", KindFailure, "ines.alves@mail.uni.example", ReasonMesgTooBig},
		{"prose-only-undecided.eml", KindFailure, "bea.kurz@quiet.example", ReasonUndefined},
		{"gateway-attempts-continue.eml", KindDelay, "tara.quinn@partner.example", ReasonExpired},
		{"german-delay-weitere-versuche.eml", KindDelay, "uwe.haas@kunde.example", ReasonSystemError},
		// As groupwise-notfound: no SMTP stage is named.
		{"mdaemon-warning-nouser.eml", KindFailure, "nils.eck@shop.example", ReasonFiltered},
		{"challenge-dsn-preapproved.eml", KindNone, "", ""},
		{"postfix-confirm-gate.eml", KindNone, "", ""},
		{"postfix-not-in-whitelist.eml", KindFailure, "ruth@strict.example", ReasonRejected},
		{"exim-srs-sender-quoted.eml", KindFailure, "petra@new-home.example", ReasonExpired},
		{"sendmail-text-reasons.eml", KindFailure, "rosa@bulkcheck.example", ReasonSpamDetected},
		{"postfix-dns-malformed.eml", KindFailure, "sven@typo-domian.example", ReasonNetworkError},
		{"mailbox-exceeds-allowed-size.eml", KindFailure, "jonas@smallisp.example", ReasonMailboxFull},
		// The text names the cause more precisely than the status code:
		// a size problem must not block the address as unknown.
		{"dsn-511-size-exceeded.eml", KindFailure, "greta@archive.example", ReasonMesgTooBig},
		{"qmail-spam-pattern.eml", KindFailure, "hugo@patterns.example", ReasonSpamDetected},
		// A failure report that names nobody: still a report, not mail.
		{"sendmail-no-message-collected.eml", KindFailure, "", ""},
	}
	files, _ := filepath.Glob("testdata/written/*.eml")
	if len(files) != len(tests) {
		t.Errorf("%d written mails, %d expectations", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/written", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ParseBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			var got Recipient
			if len(rep.Recipients) > 0 {
				got = rep.Recipients[0]
			}
			if rep.Kind != tt.kind || got.Address != tt.recipient || got.Reason != tt.reason {
				t.Errorf("got %q %q %q (%d recipients, status %s, %.120q), want %q %q %q",
					rep.Kind, got.Address, got.Reason, len(rep.Recipients), got.Status, got.Diagnostic, tt.kind, tt.recipient, tt.reason)
			}
		})
	}
}
