// Command helpdesk is a complete, small helpdesk built on deskmail, running
// on in-memory stores with no setup:
//
//	go run ./examples/helpdesk
//
// It starts a real SMTP server on loopback (smtpd) for inbound mail and two
// outgoing SMTP servers (smtptest): Acme's own relay, capped at one mail a
// day, and the platform's. Then it plays a day at the helpdesk and prints what
// happens at each step: customers write in and the inbound pipeline decides;
// agents' replies are composed from drafts (compose) and go out through one
// send chain, DKIM-signed with a VERP return path, through the relay while
// its cap lasts and through the platform after, one of them by an agent with
// a non-ASCII name, in German, with an attachment; a reply joins its ticket
// and a stranger's ticket number does not; a bounce blocks the address it
// names and a forged one changes nothing; a spoofed sender is suspended.
//
// Flags:
//
//	-listen ADDR    serve inbound SMTP on ADDR instead of playing the tour,
//	                printing the decision on every mail that comes in, for
//	                manual tries (swaks --server ADDR --to
//	                support@acme.desk.example); stop with Ctrl-C
//	-postgres DSN   keep deskmail's state on PostgreSQL instead of memory
//	                (store/postgres); each run uses fresh names
//	-out DIR        write every mail the helpdesk sends, exactly as sent
//	                (DKIM-signed), to DIR as one .eml file each
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/smtptest"
	"github.com/deskmail/deskmail/store/postgres"
)

func main() {
	var o options
	flag.StringVar(&o.listen, "listen", "", "serve inbound SMTP on this address instead of the tour, until interrupted")
	flag.StringVar(&o.postgres, "postgres", "", "PostgreSQL DSN for deskmail's stores (default: in memory)")
	flag.StringVar(&o.out, "out", "", "write every mail sent, as sent, to this directory (one .eml each)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "helpdesk:", err)
		os.Exit(1)
	}
}

type options struct {
	listen   string // "" = play the tour; else serve inbound SMTP here
	postgres string // "" = memory stores
	out      string // "" = sent mail is not written out
}

// names are the addresses of the tour. With -postgres each run gets fresh
// ones, since the database remembers the previous run.
type names struct {
	account        string // the tenant
	domain         string // its own domain, where support@ lives
	support        string // its customer-owned support address
	platform       string // the platform address support@ forwards to
	old            string // an address whose fetching is turned off
	oldPlatform    string
	platformDomain string // the helpdesk platform's domain
	messageDomain  string // right side of our Message-IDs
	bounceDomain   string // where VERP bounces come back
}

func newNames(suffix string) names {
	acme := "acme" + suffix
	return names{
		account: acme, domain: acme + ".example",
		support: "support@" + acme + ".example", platform: "support@" + acme + ".desk.example",
		old: "old@" + acme + ".example", oldPlatform: "old@" + acme + ".desk.example",
		platformDomain: "desk.example", messageDomain: acme + ".desk.example", bounceDomain: "bounce.desk.example",
	}
}

// run plays the tour and returns the desk, for the test to inspect.
func run(ctx context.Context, w io.Writer, o options) (*desk, error) {
	st, n := memoryStores(), newNames("")
	if o.postgres != "" {
		db, err := postgres.Open(ctx, o.postgres)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			return nil, err
		}
		st = stores{db.AliasStore(), db.MessageIndex(), db.BounceStore(), db.DKIMKeyStore(), db.RelayStore()}
		n = newNames(randomID()[:4])
		fmt.Fprintf(w, "State on PostgreSQL, account %s.\n", n.account)
	}

	// The Internet's DNS, as far as the tour needs it.
	zone := dnstest.New()
	zone.AddTXT("customer.example", "v=spf1 ip4:127.0.0.0/8 -all") // customers send from loopback here
	zone.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")
	zone.AddTXT("bank.example", "v=spf1 ip4:192.0.2.1 -all") // the bank's real mail server
	zone.AddTXT("_dmarc.bank.example", "v=DMARC1; p=reject")

	// Outgoing SMTP: Acme's own relay and the platform's server.
	relaySrv, err := smtptest.Start(nil)
	if err != nil {
		return nil, err
	}
	defer relaySrv.Close()
	platformSrv, err := smtptest.Start(nil)
	if err != nil {
		return nil, err
	}
	defer platformSrv.Close()

	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return nil, err
		}
	}
	d, err := newDesk(ctx, w, n, deskConfig{stores: st, zone: zone, platform: platformSrv.Addr(), relay: relaySrv.Addr(), outDir: o.out})
	if err != nil {
		return nil, err
	}
	if o.listen != "" {
		return d, serve(ctx, w, d, o.listen)
	}
	srv, l, err := listen(d, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	mx := l.Addr().String()
	fmt.Fprintf(w, "Helpdesk for %s: inbound SMTP on %s, relay %s (1 mail/day), platform %s\n\n", n.support, mx, relaySrv.Addr(), platformSrv.Addr())

	if err := tour(ctx, w, d, mx, relaySrv, platformSrv, zone); err != nil {
		return d, err
	}

	return d, nil
}

// tour is the day at the helpdesk.
func tour(ctx context.Context, w io.Writer, d *desk, mx string, relaySrv, platformSrv *smtptest.Server, zone *dnstest.Zone) error {
	n := d.names
	step := 0
	title := func(s string) { step++; fmt.Fprintf(w, "%d. %s\n", step, s) }
	customer := func(from, subject, extra, body string) error {
		raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@customer.example>\r\n%s\r\n%s\r\n",
			from, n.support, subject, randomID(), extra, body)
		return deliver(mx, addrOf(from), []string{n.platform}, raw)
	}

	title("Mary writes to " + n.support + "; her provider forwards it to " + n.platform)
	if err := customer("Mary <mary@customer.example>", "My order has not arrived", "", "Order 5521, placed two weeks ago."); err != nil {
		return err
	}

	title("Agent Brad answers ticket #1")
	if _, err := d.reply(ctx, "1", "Brad", "It ships today. Sorry for the wait!"); err != nil {
		return err
	}
	if err := describeSent(w, relaySrv, zone, n); err != nil {
		return err
	}

	title("Bob writes in")
	if err := customer("Bob <bob@customer.example>", "Invoice copy, please", "", "Can I get a copy of my invoice?"); err != nil {
		return err
	}

	title("Brad answers ticket #2: Acme's relay has used its daily mail, so the platform sends it")
	if _, err := d.reply(ctx, "2", "Brad", "Attached. (Not really: this is a demo.)"); err != nil {
		return err
	}
	if err := describeSent(w, platformSrv, zone, n); err != nil {
		return err
	}

	title("Mary replies to Brad's answer")
	ours := d.tickets["1"].IDs[len(d.tickets["1"].IDs)-1]
	if err := customer("Mary <mary@customer.example>", "Re: My order has not arrived [#1]", "In-Reply-To: <"+ours+">\r\nReferences: <"+ours+">\r\n", "Great, thanks!"); err != nil {
		return err
	}

	title("A stranger writes with ticket #1's number in the subject")
	if err := customer("Eve <eve@customer.example>", "Refund for [#1]", "", "Send the refund to my account."); err != nil {
		return err
	}

	title("Bob's mailbox does not exist: his provider bounces the reply to its VERP address")
	msgs := platformSrv.Messages()
	sentToBob := msgs[len(msgs)-1]
	if err := deliver(mx, "", []string{sentToBob.From}, bounceReport(sentToBob.From, "bob@customer.example", messageIDOf(sentToBob.Data))); err != nil {
		return err
	}

	title("A forged bounce claims Mary's address failed")
	if err := deliver(mx, "", []string{n.platform}, bounceReport(n.platform, "mary@customer.example", "made-up@elsewhere.example")); err != nil {
		return err
	}
	st, err := d.tracker.Address(ctx, n.account, "mary@customer.example")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   Mary's address is still %s\n", st.State)

	title("Brad answers Bob again: the bounce gate keeps it from a dead address")
	if _, err := d.reply(ctx, "2", "Brad", "Did you get it?"); err != nil {
		return err
	}

	title("Agent Jürgen Müller answers Mary in German, with her invoice attached")
	if _, err := d.send(ctx, "1", &compose.Draft{Agent: "Jürgen Müller", Subject: "Re: Ihre Bestellung — Rechnung Nr. 5521 (請求書)",
		Text:        "Guten Tag Mary,\n\nanbei Ihre Rechnung. Grüße aus Köln!\n\nJürgen",
		Attachments: []compose.Attachment{{Filename: "Rechnung-5521 (請求書).pdf", Data: []byte("%PDF-1.4\n% demo invoice\n")}}}); err != nil {
		return err
	}
	if err := describeHeaders(w, platformSrv); err != nil {
		return err
	}

	title("Someone spoofs the bank's address")
	if err := customer("Bank <billing@bank.example>", "Urgent: new account details", "", "Please pay to this new account."); err != nil {
		return err
	}

	title("Mail to " + n.old + ", whose fetching is turned off")
	raw := "From: mary@customer.example\r\nTo: " + n.old + "\r\nSubject: Hello?\r\n\r\nAnyone?\r\n"
	var refused *refusedError
	if err := deliver(mx, "mary@customer.example", []string{n.oldPlatform}, raw); errors.As(err, &refused) {
		fmt.Fprintf(w, "   → refused while the sender is connected: %s\n", refused.reply)
	} else if err != nil {
		return err
	}

	title("Gmail asks to confirm forwarding from " + n.support)
	raw = "From: Gmail Team <forwarding-noreply@google.com>\r\nTo: " + n.platform + "\r\n" +
		"Subject: (#482913377) Gmail Forwarding Confirmation - Receive Mail from " + n.support + "\r\n\r\n" +
		"Confirmation code: 482913377\r\n\r\nhttps://mail-settings.google.com/mail/vf-%5BANGjdJ9%5D-sample\r\n"
	if err := deliver(mx, "forwarding-noreply@google.com", []string{n.platform}, raw); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nTickets: %d, suspended for review: %d.\n", len(d.tickets), len(d.suspended))
	return nil
}

// describeSent prints how the last mail a server accepted was sent: its
// MAIL FROM and its DKIM signature, verified against the zone.
func describeSent(w io.Writer, srv *smtptest.Server, zone *dnstest.Zone, n names) error {
	msgs := srv.Messages()
	if len(msgs) == 0 {
		return errors.New("helpdesk: nothing was sent")
	}
	m := msgs[len(msgs)-1]
	vs, err := dkim.Verify(context.Background(), m.Data, &dkim.VerifyOptions{Resolver: zone})
	if err != nil {
		return err
	}
	sig := "no DKIM signature"
	for _, v := range vs {
		sig = fmt.Sprintf("DKIM %s for %s", v.Result, v.Domain)
	}
	fmt.Fprintf(w, "   %s; MAIL FROM %s (VERP)\n", sig, shorten(m.From))
	return nil
}

// describeHeaders prints the From and Subject of the last mail a server
// accepted as they were written (RFC 2047 words) and as a reader decodes
// them, and its attachment's name.
func describeHeaders(w io.Writer, srv *smtptest.Server) error {
	msgs := srv.Messages()
	if len(msgs) == 0 {
		return errors.New("helpdesk: nothing was sent")
	}
	r, err := mail.CreateReader(bytes.NewReader(msgs[len(msgs)-1].Data))
	if err != nil {
		return err
	}
	from, _ := r.Header.AddressList("From")
	subject, _ := r.Header.Subject()
	fmt.Fprintf(w, "   From: %s\n     (%s <%s>)\n   Subject: %s\n     (%s)\n", r.Header.Get("From"), from[0].Name, from[0].Address, r.Header.Get("Subject"), subject)
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			fmt.Fprintf(w, "   Attachment: %s\n", name)
		}
	}
	return nil
}

// bounceReport is the delivery status notification (RFC 3464) a receiving
// server sends when a mailbox does not exist.
func bounceReport(to, recipient, messageID string) string {
	return "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n" +
		"To: " + to + "\r\nSubject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n" +
		"Final-Recipient: rfc822; " + recipient + "\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <" + recipient + ">: user unknown\r\n\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: " + recipient + "\r\nMessage-ID: <" + messageID + ">\r\n\r\n--b--\r\n"
}

func messageIDOf(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Message-ID") {
			return strings.Trim(strings.TrimSpace(v), "<>")
		}
	}
	return ""
}

func addrOf(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		return strings.TrimSuffix(s[i+1:], ">")
	}
	return s
}

// shorten abbreviates a long local part (a VERP token) and keeps the
// domain whole, so the transcript shows where bounces go.
func shorten(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at > 20 {
		return s[:16] + "…" + s[at:]
	}
	return s
}
