package bounce

import "testing"

// A prose report without any code is classified by its wording in the
// language the receiving server writes.
func TestReasonPhrasesInLanguages(t *testing.T) {
	for _, tt := range []struct {
		text string
		want Reason
	}{
		{"El usuario no existe (in reply to RCPT TO command)", ReasonUserUnknown},
		{"Gebruiker onbekend (in reply to RCPT TO command)", ReasonUserUnknown},
		{"Nieznany użytkownik (in reply to RCPT TO command)", ReasonUserUnknown},
		{"Kullanıcı bulunamadı (in reply to RCPT TO command)", ReasonUserUnknown},
		{"사용자가 없습니다 (in reply to RCPT TO command)", ReasonUserUnknown},
		{"Brevlådan är full", ReasonMailboxFull},
		{"Schránka je plná", ReasonMailboxFull},
		{"A caixa de correio está cheia", ReasonMailboxFull},
		{"El dominio no existe", ReasonHostUnknown},
		{"Domena nie istnieje", ReasonHostUnknown},
	} {
		mail := "From: Mail Delivery System <postmaster@mx.partner.example>\r\nTo: support@helpdesk.example\r\n" +
			"Subject: Undelivered Mail Returned to Sender\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
			"Your message could not be delivered to the following recipient:\r\n\r\n<kim@partner.example>: " + tt.text + "\r\n"
		rep, err := ParseBytes([]byte(mail))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Recipients) != 1 || rep.Recipients[0].Reason != tt.want {
			t.Errorf("%q: %+v, want %s", tt.text, rep.Recipients, tt.want)
		}
	}
}
