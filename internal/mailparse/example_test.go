package mailparse_test

import (
	"fmt"

	"github.com/deskmail/deskmail/internal/mailparse"
)

func ExampleWalk() {
	raw := "Content-Type: multipart/report; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/html\r\n\r\n<p>Mailbox &amp; quota full</p>\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n" // no close delimiter
	h, body, err := mailparse.ReadHeader(mailparse.NormalizeNewlines([]byte(raw)))
	if err != nil {
		panic(err)
	}
	mailparse.Walk(h, body, mailparse.Limits{}, func(p *mailparse.Part) bool {
		fmt.Printf("%d %s %q\n", p.Depth, p.Type, p.Text())
		return true
	})
	// Output:
	// 1 text/html "Mailbox & quota full\n"
	// 1 message/delivery-status "Action: failed\n"
}
