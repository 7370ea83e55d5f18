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
// Exit status: 0 when everything checked out, 1 when a check failed (an SPF
// fail, a bounce found where none was expected, a relay probe that failed),
// 2 for a usage error or input that could not be read or parsed.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], newIO()))
}
