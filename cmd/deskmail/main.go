// Command deskmail is the administrator's tool for deskmail: check SPF, DKIM
// and DMARC records, classify bounces, parse forwards, build threads, probe
// relays and run the inbound pipeline on a file.
//
// Usage:
//
//	deskmail COMMAND [SUBCOMMAND] [-json] [flags] [args]
//	deskmail help
//
// Output is human-readable by default. With -json each command prints one
// JSON object per input on its own line, with stable snake_case field names,
// so scripts can read it with jq or a JSON decoder.
//
// Exit status: 0 when everything checked out; 1 when a check failed or found
// something (an SPF fail, a DKIM signature that does not verify, a
// suspended mail, a relay probe that failed) or an input was empty or could
// not be read or parsed; 2 for a usage error (unknown command, bad flag,
// missing argument). -h, -help and "deskmail help [COMMAND]" print the
// usage on stdout and exit 0; "deskmail version" prints the module version.
//
// Text taken from mail (names, subjects, diagnostics) is printed with
// control characters escaped, so a hostile mail cannot drive the terminal.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], newIO()))
}
