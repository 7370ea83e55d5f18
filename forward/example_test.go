package forward_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail/forward"
)

func ExampleParseText() {
	body := `Could you look at this one?

---------- Forwarded message ---------
From: Jane Roe <jane@customer.example>
Date: Wed, 27 Oct 2021 09:31:00 +0000
Subject: Printer on fire
To: <agent@desk.example>

It is on fire again.
`
	f, err := forward.ParseText("Fwd: Printer on fire", body, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Forwarded, f.Method)
	fmt.Println(f.From.Name, f.From.Addr())
	fmt.Println(f.Subject)
	fmt.Println(f.Note)
	fmt.Println(f.Body)
	// Output:
	// true inline
	// Jane Roe jane@customer.example
	// Printer on fire
	// Could you look at this one?
	// It is on fire again.
}

func ExampleParseText_notForward() {
	// A quoted reply looks like a header block, but its subject says reply.
	body := "Thanks!\n\nFrom: Jane Roe <jane@customer.example>\nSent: Monday\nTo: agent@desk.example\nSubject: Printer\n\nHelp"
	f, err := forward.ParseText("RE: Printer", body, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Forwarded)
	fmt.Println(f.Evidence)
	// Output:
	// false
	// subject prefix RE and a quoted header block: a reply
}

func ExampleParse() {
	raw := "From: Agent <agent@desk.example>\r\n" +
		"Subject: FW: Invoice\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n" +
		"\r\n" +
		"--b\r\n" +
		"Content-Type: text/plain\r\n" +
		"\r\n" +
		"see attached\r\n" +
		"--b\r\n" +
		"Content-Type: message/rfc822\r\n" +
		"\r\n" +
		"From: Jane Roe <jane@customer.example>\r\n" +
		"Subject: Invoice\r\n" +
		"\r\n" +
		"Where is my invoice?\r\n" +
		"--b--\r\n"
	f, err := forward.Parse(strings.NewReader(raw), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Method, f.From.Addr(), "forwarded by", f.Forwarder.Addr())
	fmt.Println(f.Subject, "/", f.Body, "/", f.Note)
	// Output:
	// attached jane@customer.example forwarded by agent@desk.example
	// Invoice / Where is my invoice? / see attached
}

func ExampleParseBytes() {
	raw := []byte("From: Agent <agent@desk.example>\r\n" +
		"Subject: VS: Faktura\r\n" +
		"\r\n" +
		"Se nedenfor.\r\n" +
		"\r\n" +
		"Fra: Ola Nordmann <ola@kunde.example>\r\n" +
		"Sendt: torsdag 28. oktober 2021 12:46\r\n" +
		"Til: support@desk.example\r\n" +
		"Emne: Faktura\r\n" +
		"\r\n" +
		"Fakturaen er feil.\r\n")
	f, err := forward.ParseBytes(raw, nil)
	if err != nil {
		panic(err)
	}
	// "VS:" forwards in Norwegian (and replies in Finnish): the labels decide.
	fmt.Println(f.Forwarded, f.From.Name, f.From.Addr())
	fmt.Println(f.Evidence)
	// Output:
	// true Ola Nordmann ola@kunde.example
	// subject prefix VS and a header block
}

func ExampleParse_tooLarge() {
	_, err := forward.Parse(strings.NewReader("From: a@example.com\r\n\r\n"+strings.Repeat("x", 2000)), &forward.Options{MaxBytes: 1000})
	fmt.Println(errors.Is(err, forward.ErrTooLarge))
	fmt.Println(err)
	// Output:
	// true
	// forward: input too large: more than 1000 bytes
}
