package bounce

import (
	"bytes"
	"encoding/json"
	"strings"
)

// sesNotification is the JSON an Amazon SES notification (through SNS
// email) carries.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Bounce           struct {
		BounceType        string `json:"bounceType"`
		ReportingMTA      string `json:"reportingMTA"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
	} `json:"complaint"`
	Delivery struct {
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
		ReportingMTA string   `json:"reportingMTA"`
	} `json:"delivery"`
	Mail struct {
		MessageID string `json:"messageId"`
		Headers   []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"mail"`
}

// parseSES reads an Amazon SES bounce, complaint or delivery notification
// sent as JSON by mail. It reports whether the mail was one.
func (p *parser) parseSES() bool {
	for _, t := range p.texts {
		i := bytes.Index(t, []byte(`{"notificationType"`))
		if i < 0 {
			i = bytes.Index(t, []byte(`"notificationType"`))
			if i < 0 {
				continue
			}
			i = bytes.LastIndexByte(t[:i], '{')
			if i < 0 {
				continue
			}
		}
		var n sesNotification
		if err := json.NewDecoder(bytes.NewReader(t[i:])).Decode(&n); err != nil {
			// Long lines may come folded, some with a '!' marking the fold.
			unfolded := bytes.ReplaceAll(t[i:], []byte("!\n "), nil)
			unfolded = bytes.ReplaceAll(unfolded, []byte("\n "), nil)
			if err := json.NewDecoder(bytes.NewReader(unfolded)).Decode(&n); err != nil {
				continue
			}
		}
		p.sesOriginal(&n)
		switch n.NotificationType {
		case "Bounce":
			p.rep.ReportingMTA = stripType(n.Bounce.ReportingMTA)
			for _, r := range n.Bounce.BouncedRecipients {
				a := cleanAddr(r.EmailAddress)
				if a == "" {
					continue
				}
				p.rep.Recipients = append(p.rep.Recipients, Recipient{Address: a, Action: strings.ToLower(r.Action),
					Status: firstStatus(r.Status), Diagnostic: stripType(r.DiagnosticCode)})
			}
		case "Complaint":
			p.rep.FeedbackType = strings.ToLower(n.Complaint.ComplaintFeedbackType)
			var rcpts []string
			for _, r := range n.Complaint.ComplainedRecipients {
				if a := cleanAddr(r.EmailAddress); a != "" {
					rcpts = append(rcpts, a)
				}
			}
			p.complaint(rcpts)
		case "Delivery":
			p.rep.ReportingMTA = n.Delivery.ReportingMTA
			for _, r := range n.Delivery.Recipients {
				if a := cleanAddr(r); a != "" {
					p.rep.Recipients = append(p.rep.Recipients, Recipient{Address: a, Action: "delivered",
						Status: firstStatus(n.Delivery.SMTPResponse), Diagnostic: n.Delivery.SMTPResponse, Reason: ReasonDelivered})
				}
			}
		default:
			continue
		}
		return true
	}
	return false
}

func (p *parser) sesOriginal(n *sesNotification) {
	var raw []byte
	for _, h := range n.Mail.Headers {
		if h.Name == "" || strings.ContainsAny(h.Name, ":\r\n") {
			continue
		}
		raw = append(raw, h.Name...)
		raw = append(raw, ": "...)
		raw = append(raw, strings.NewReplacer("\r", " ", "\n", " ").Replace(h.Value)...)
		raw = append(raw, '\n')
	}
	p.original = raw
	p.parseOriginal()
}
