package forward

import "strings"

// field is the header field a localized label stands for.
type field uint8

const (
	fieldNone    field = iota // a known label we keep no value for
	fieldFrom                 // From, Von, De, Od …
	fieldTo                   // To, An, Para, Do …
	fieldCc                   // Cc, Kopie, Dw …
	fieldSubject              // Subject, Betreff, Asunto …
	fieldDate                 // Date, Sent, Gesendet …
)

// labels maps the lower-cased header labels that mail clients write above a
// forwarded message, in the languages of the clients we know, to the field.
var labels = map[string]field{}

// maxLabelRunes is the rune length of the longest label.
var maxLabelRunes int

func init() {
	add := func(f field, names ...string) {
		for _, n := range names {
			n = strings.ToLower(n)
			labels[n] = f
			if l := len([]rune(n)); l > maxLabelRunes {
				maxLabelRunes = l
			}
		}
	}
	add(fieldFrom,
		"From", "Von", "De", "De la", "Od", "Van", "Fra", "Från", "Feladó", "Lähettäjä",
		"Kimden", "От", "Від", "Від кого", "Отправитель", "Saatja", "Da", "Afzender",
		"Nadawca", "Mittente", "Remitente", "Expéditeur", "Avsändare", "Odesílatel",
		"Siuntėjas", "Sender", "Pošiljatelj", "Gönderen", "Από", "送信元", "差出人",
		"发件人", "寄件者", "寄件人", "보낸 사람", "Pengirim", "Người gửi", "Afsender", "Lähettäjä")
	add(fieldTo,
		"To", "An", "A", "À", "Para", "Do", "Aan", "Til", "Till", "Címzett", "Vastaanottaja",
		"Kime", "Кому", "Komu", "Adresat", "Către", "Pour", "Destinatario", "Destinataire",
		"Destinatari", "Modtager", "Mottaker", "Mottagare", "Saaja", "Prejemnik", "Προς",
		"Alıcı", "送信先", "宛先", "收件人", "收件者", "받는 사람", "Kepada", "Người nhận")
	add(fieldCc,
		"Cc", "Kopie", "Kopie (CC)", "Kopia", "Kopi", "Kopio", "Copia", "Copie", "Copie à",
		"Dw", "Másolat", "Másolatot kap", "Bilgi", "Копия", "Копія", "Kópia", "Kopya",
		"Κοιν", "抄送", "副本", "参照", "참조", "Cc.", "Kopie an")
	add(fieldSubject,
		"Subject", "Betreff", "Asunto", "Assunto", "Objet", "Sujet", "Oggetto", "Onderwerp",
		"Temat", "Předmět", "Predmet", "Tárgy", "Aihe", "Ämne", "Emne", "Konu", "Тема",
		"Subiect", "Θέμα", "Teema", "Emne", "Tema", "件名", "主题", "主旨", "제목", "Perihal",
		"Chủ đề", "Onderwerp")
	add(fieldDate,
		"Date", "Datum", "Data", "Fecha", "Dátum", "Päivämäärä", "Päiväys", "Tarih", "Дата",
		"Dato", "Kuupäev", "Sent", "Gesendet", "Enviado", "Envoyé", "Inviato", "Sendt",
		"Skickat", "Verzonden", "Wysłano", "Wysłane", "Odesláno", "Odoslané", "Elküldve",
		"Lähetetty", "Gönderilen", "Gönderildi", "Trimis", "Отправлено", "Надіслано",
		"Enviada", "Verstuurd", "Sent at", "日付", "日期", "发送时间", "寄件日期", "送信日時",
		"날짜", "보낸 날짜", "Tanggal", "Ngày")
	add(fieldNone,
		"Bcc", "Bcc.", "Blindkopie", "Cco", "Ccn", "Cci", "Udw", "Reply-To", "Antwort an",
		"Répondre à", "Responder a", "Rispondi a", "Importance", "Wichtigkeit", "Priorité",
		"Attachments", "Anlagen", "Pièces jointes", "Adjuntos", "Allegati", "Bijlagen",
		"Załączniki", "Přílohy", "Sent by", "On behalf of")
}

// lookupLabel returns the field for a label as written (any case, spaces
// around it trimmed).
func lookupLabel(s string) (field, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 4*maxLabelRunes {
		return 0, false
	}
	f, ok := labels[strings.ToLower(s)]
	return f, ok
}

// forwardStems are lower-case fragments of the separator lines clients put
// above an inline forward ("---------- Forwarded message ---------",
// "Begin forwarded message:", "-------- Weitergeleitete Nachricht --------").
// A separator is strong evidence: the block below it is a forward whatever
// the subject says.
var forwardStems = []string{
	"forward", "fwd", "weitergeleitet", "reenviad", "reencaminhad", "encaminhad",
	"transféré", "transfere", "transmis", "réexpédié", "reexpedie", "inoltrat",
	"doorgestuurd", "přeposlan", "přeposílan", "preposlan", "przekazan", "przekazyw", "przesłan",
	"переадресован", "перенаправлен", "переслан", "пересила", "továbbított",
	"vidarebefordra", "videresend", "videresendt", "videresendte", "edelleenlähetet",
	"välitetty", "redirecționat", "redirectionat", "iletilmiş", "iletilen", "proslijeđen",
	"posredovan", "προωθ", "転送", "转发", "轉寄", "轉發", "전달된", "mensaje reenviado",
	"videreført", "doorgestuurde", "přeposlaná",
}

// originalStems are fragments of separators that clients write above both
// replies and forwards ("-----Original Message-----"). They count as a
// forward unless the subject says reply.
var originalStems = []string{
	"original message", "originalnachricht", "ursprüngliche nachricht", "message d'origine",
	"message original", "mensaje original", "messaggio originale", "oorspronkelijk bericht",
	"původní zpráva", "pôvodná správa", "wiadomość oryginalna", "oryginalna wiadomość",
	"исходное сообщение", "оригинальное сообщение", "mensagem original", "ursprungligt meddelande",
	"opprinnelig melding", "oprindelig meddelelse", "alkuperäinen viesti", "eredeti üzenet",
	"orijinal mesaj", "özgün ileti", "mesaj original", "mesajul original", "原始邮件",
	"元のメッセージ", "原始郵件",
}

// forwardPrefixes are subject prefixes that mark a forward, lower case,
// without the colon.
var forwardPrefixes = map[string]bool{
	"fw": true, "fwd": true, "fwrd": true, "tr": true, "trs": true, "wg": true, "vs": true,
	"vb": true, "vl": true, "rv": true, "enc": true, "i": true, "pd": true, "pd.": true,
	"i̇lt": true, "ilt": true, "videresend": true, "vidaresend": true, "redir": true,
	"redir.": true, "doorst": true, "továbbítás": true, "továbbítva": true, "tov": true,
	"přeposlat": true, "πρθ": true, "пересл": true, "转发": true,
	"轉寄": true, "転送": true, "전달": true, "wd": true, "weiterleitung": true,
	"doorgestuurd": true, "vid": true, "edelleen": true, "ilet": true,
}

// replyPrefixes are subject prefixes that mark a reply, lower case, without
// the colon.
var replyPrefixes = map[string]bool{
	"re": true, "aw": true, "sv": true, "antw": true, "odp": true, "r": true, "rif": true,
	"res": true, "ynt": true, "vá": true, "atb": true, "ats": true,
	"回复": true, "答复": true, "回覆": true, "返信": true, "отв": true, "відп": true,
	"yanıt": true, "απ": true, "σχετ": true, "odg": true, "vast": true, "bls": true,
}
