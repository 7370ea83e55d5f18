package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/deskmail/deskmail/relay"
)

const relayUsage = `
Usage: deskmail relay probe [-json] -host HOST -port PORT -security tls|starttls|none
                            [-user USER] [-auth PLAIN|LOGIN] [-insecure] [-ca FILE] [-timeout D]

Tests the connection to a relay server as the admin's "test connection"
does: connect, TLS (implicit or STARTTLS), and AUTH when -user is given.
No mail is sent. The password is read from the DESKMAIL_RELAY_PASSWORD
environment variable only, never from a flag. -insecure turns certificate
verification off; -ca adds a PEM file of trusted CAs.

Prints the result; with -json one object:
{"ok", "stage", "code", "enhanced_code", "message"}.
Exit status 0 when every stage passed, 1 when one failed, 2 on usage errors.
`

var relayCommand = &command{
	name:    "relay",
	summary: "test the connection to a relay server (probe)",
	usage:   relayUsage,
	run:     runRelay,
}

func runRelay(io *cliIO, args []string) int {
	if len(args) == 0 || args[0] != "probe" {
		return usageError(io, relayUsage, "relay: want the subcommand probe")
	}
	fs, jsonOut := newFlagSet(io, "relay probe", relayUsage)
	host := fs.String("host", "", "relay host name or IP address")
	port := fs.Int("port", 0, "relay port (25, 465 or 587)")
	security := fs.String("security", "", "tls, starttls or none")
	user := fs.String("user", "", "AUTH user name; the password comes from DESKMAIL_RELAY_PASSWORD")
	auth := fs.String("auth", "PLAIN", "AUTH mechanism with -user: PLAIN or LOGIN")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate")
	caFile := fs.String("ca", "", "PEM file of CA certificates to trust instead of the system's")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for the whole test")
	pos, code := parseFlags(fs, args[1:])
	if code != flagsOK {
		return code
	}
	if len(pos) > 0 {
		return usageError(io, relayUsage, "relay probe: unexpected argument %q", pos[0])
	}
	if *host == "" || *port <= 0 || *port > 65535 || *security == "" {
		return usageError(io, relayUsage, "relay probe: -host, -port and -security are required")
	}
	sec, err := relay.ParseSecurity(*security)
	if err != nil {
		return usageError(io, relayUsage, "%v", err)
	}
	r := &relay.Relay{ID: "probe", Host: *host, Port: *port, Security: sec, InsecureSkipVerify: *insecure}
	opts := &relay.SMTPOptions{}
	if *user != "" {
		mech := relay.AuthMechanism(strings.ToUpper(*auth))
		if mech != relay.AuthPlain && mech != relay.AuthLogin {
			return usageError(io, relayUsage, "relay probe: -auth must be PLAIN or LOGIN")
		}
		pw := io.getenv("DESKMAIL_RELAY_PASSWORD")
		if pw == "" {
			return usageError(io, relayUsage, "relay probe: -user needs the password in DESKMAIL_RELAY_PASSWORD")
		}
		r.Auth, r.Username = mech, *user
		opts.Passwords = relay.PasswordFunc(func(context.Context, string, string) (string, error) { return pw, nil })
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return inputError(io, *jsonOut, *caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return inputError(io, *jsonOut, *caFile, fmt.Errorf("no PEM certificate found"))
		}
		opts.RootCAs = pool
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res := relay.NewDialer(opts).Probe(ctx, "cli", r)
	if *jsonOut {
		writeJSON(io.stdout, res)
	} else if res.OK {
		fmt.Fprintf(io.stdout, "ok: %s\n", res.Message)
	} else {
		fmt.Fprintf(io.stdout, "failed at %s: %s\n", res.Stage, res.Message)
	}
	if !res.OK {
		return exitFail
	}
	return exitOK
}
