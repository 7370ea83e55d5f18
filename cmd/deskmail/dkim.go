package main

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/senderauth"
)

const dkimUsage = `
Usage:
  deskmail dkim keygen [-json] [-alg rsa|ed25519] [-bits N] -domain D -selector S -out KEYFILE
  deskmail dkim sign   [-json] [-out DIR] -key KEYFILE -domain D -selector S [MESSAGE...|-]
  deskmail dkim verify [-json] [-zone FILE] [MESSAGE...|-]
  deskmail dkim check  [-json] [-zone FILE] -key KEYFILE -domain D -selector S

keygen writes a new private key (PEM, mode 0600) to KEYFILE and prints the
TXT record to publish at S._domainkey.D, split into 255-byte strings
(RSA: 2048 bits unless -bits says more; ed25519: 256).
sign prints each message signed relaxed/relaxed with the recommended,
oversigned header set (several messages need -json, one object each, or
-out DIR, one file each). verify prints one line per DKIM-Signature of each
message with domain, selector, algorithm, key size and b= prefix; exit 1
unless all pass.
check compares the key published at S._domainkey.D with KEYFILE; exit 1
unless it matches.

Messages are read from the files, or stdin for "-" or no argument; empty
input is an error (exit 1); bare LF
line ends are turned into CRLF. -zone FILE answers DNS from a YAML file in
the zonedata form of the RFC 7208 test suite instead of the system resolver.
The private key is never printed.
`

var dkimCommand = &command{
	name:    "dkim",
	summary: "generate DKIM keys, sign, verify, check published keys",
	usage:   dkimUsage,
	run:     runDKIM,
}

func runDKIM(io *cliIO, args []string) int {
	if len(args) == 0 {
		return usageError(io, dkimUsage, "dkim: missing keygen, sign, verify or check")
	}
	switch args[0] {
	case "keygen":
		return runDKIMKeygen(io, args[1:])
	case "sign":
		return runDKIMSign(io, args[1:])
	case "verify":
		return runDKIMVerify(io, args[1:])
	case "check":
		return runDKIMCheck(io, args[1:])
	}
	return usageError(io, dkimUsage, "dkim: unknown subcommand %q", args[0])
}

// authResolver returns the zone of -zone FILE, or nil for the system
// resolver.
func authResolver(file string) (senderauth.Resolver, error) {
	if file == "" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	z, err := dnstest.ParseZonedata(data)
	if err != nil {
		return nil, err
	}
	return z, nil
}

// readMessage reads a message from a file or stdin ("-"), with CRLF line
// ends; empty input is an error.
func readMessage(io *cliIO, name string) ([]byte, error) {
	data, err := readInput(io, name)
	if err != nil {
		return nil, err
	}
	return toCRLF(data), nil
}

func toCRLF(b []byte) []byte {
	if !bytes.Contains(b, []byte("\n")) || bytes.Count(b, []byte("\r\n")) == bytes.Count(b, []byte("\n")) {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

func loadKeyFile(file string) (crypto.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return dkim.ParsePrivateKey(data)
}

type dkimKeygenJSON struct {
	Domain    string   `json:"domain"`
	Selector  string   `json:"selector"`
	Algorithm string   `json:"algorithm"`
	Bits      int      `json:"bits"`
	KeyFile   string   `json:"key_file"`
	Name      string   `json:"name"`
	Record    string   `json:"record"`
	TXT       []string `json:"txt"`
	ZoneLine  string   `json:"zone_line"`
}

func runDKIMKeygen(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "dkim keygen", dkimUsage)
	alg := fs.String("alg", "rsa", "key algorithm: rsa or ed25519")
	bits := fs.Int("bits", 2048, "RSA key size in bits (at least 2048)")
	domain := fs.String("domain", "", "signing domain (d=)")
	selector := fs.String("selector", "", "selector (s=)")
	out := fs.String("out", "", "file to write the private key to")
	if _, code := parseFlags(fs, args); code != flagsOK {
		return code
	}
	if *domain == "" || *selector == "" || *out == "" {
		return usageError(io, dkimUsage, "dkim keygen: -domain, -selector and -out are required")
	}
	key, err := dkim.GenerateKey(dkim.Algorithm(*alg), *bits, nil)
	if err != nil {
		return usageError(io, dkimUsage, "%v", err)
	}
	pemKey, err := dkim.MarshalPrivateKey(key)
	if err != nil {
		return inputError(io, *jsonOut, *out, err)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return inputError(io, *jsonOut, *out, err)
	}
	if _, err := f.Write(pemKey); err != nil {
		f.Close()
		return inputError(io, *jsonOut, *out, err)
	}
	if err := f.Close(); err != nil {
		return inputError(io, *jsonOut, *out, err)
	}
	rec, _ := dkim.NewKeyRecord(key)
	j := dkimKeygenJSON{
		Domain: strings.ToLower(*domain), Selector: *selector, Algorithm: string(dkim.AlgorithmOf(key)), Bits: rec.KeySize(),
		KeyFile: *out, Name: *selector + "._domainkey." + strings.ToLower(*domain), Record: rec.String(), TXT: rec.TXTStrings(),
		ZoneLine: rec.ZoneLine(*selector, strings.ToLower(*domain)),
	}
	if *jsonOut {
		writeJSON(io.stdout, j)
		return exitOK
	}
	fmt.Fprintf(io.stdout, "wrote %s private key (%d bits) to %s\n", j.Algorithm, j.Bits, j.KeyFile)
	fmt.Fprintf(io.stdout, "publish this TXT record at %s:\n%s\n", j.Name, j.ZoneLine)
	return exitOK
}

func runDKIMSign(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "dkim sign", dkimUsage)
	keyFile := fs.String("key", "", "private key file (PEM)")
	domain := fs.String("domain", "", "signing domain (d=)")
	selector := fs.String("selector", "", "selector (s=)")
	outDir := fs.String("out", "", "write each signed message to DIR/BASENAME instead of stdout")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if *keyFile == "" || *domain == "" || *selector == "" {
		return usageError(io, dkimUsage, "dkim sign: -key, -domain and -selector are required")
	}
	names := inputs(pos)
	if len(names) > 1 && !*jsonOut && *outDir == "" {
		return usageError(io, dkimUsage, "dkim sign: several messages need -json or -out DIR")
	}
	key, err := loadKeyFile(*keyFile)
	if err != nil {
		return inputError(io, *jsonOut, *keyFile, err)
	}
	code = exitOK
	for _, name := range names {
		msg, err := readMessage(io, name)
		if err == nil {
			var signed []byte
			if signed, err = dkim.Sign(msg, *domain, *selector, key, nil); err == nil {
				err = writeSigned(io, *jsonOut, *outDir, name, msg, signed)
			}
		}
		if err != nil {
			code = inputError(io, *jsonOut, name, err)
		}
	}
	return code
}

// writeSigned prints or stores one signed message.
func writeSigned(io *cliIO, jsonOut bool, outDir, name string, msg, signed []byte) error {
	if outDir != "" {
		base := filepath.Base(name)
		if name == "-" {
			base = "stdin.eml"
		}
		if err := os.WriteFile(filepath.Join(outDir, base), signed, 0o644); err != nil {
			return err
		}
	}
	switch {
	case jsonOut:
		sig := signed[:len(signed)-len(msg)]
		writeJSON(io.stdout, map[string]string{"file": name, "signature": strings.TrimRight(string(sig), "\r\n"), "message": string(signed)})
	case outDir == "":
		io.raw.Write(signed)
	}
	return nil
}

type dkimVerifyJSON struct {
	File          string               `json:"file"`
	Pass          bool                 `json:"pass"`
	Verifications []*dkim.Verification `json:"verifications"`
}

func runDKIMVerify(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "dkim verify", dkimUsage)
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	res, err := authResolver(*zone)
	if err != nil {
		return inputError(io, *jsonOut, *zone, err)
	}
	opts := &dkim.VerifyOptions{}
	if res != nil {
		opts.Resolver = res
	}
	code = exitOK
	for _, name := range inputs(pos) {
		if c := verifyOne(io, *jsonOut, name, opts); c != exitOK {
			code = c
		}
	}
	return code
}

// verifyOne verifies the signatures of one message and prints the results.
func verifyOne(io *cliIO, jsonOut bool, name string, opts *dkim.VerifyOptions) int {
	msg, err := readMessage(io, name)
	if err != nil {
		return inputError(io, jsonOut, name, err)
	}
	vs, err := dkim.Verify(context.Background(), msg, opts)
	if err != nil {
		return inputError(io, jsonOut, name, err)
	}
	name = deskmail.Sanitize(name)
	all := len(vs) > 0
	for _, v := range vs {
		all = all && v.Result == dkim.ResultPass
	}
	if jsonOut {
		if vs == nil {
			vs = []*dkim.Verification{}
		}
		writeJSON(io.stdout, dkimVerifyJSON{File: name, Pass: all, Verifications: vs})
	} else {
		if len(vs) == 0 {
			fmt.Fprintf(io.stdout, "%s: dkim=none (the message is not signed)\n", name)
		}
		for _, v := range vs {
			fmt.Fprintf(io.stdout, "%s: dkim=%s d=%s s=%s a=%s bits=%d b=%s", name, v.Result, v.Domain, v.Selector, v.Algorithm, v.KeySize, v.BPrefix)
			if v.Testing {
				fmt.Fprint(io.stdout, " testing")
			}
			if v.Reason != "" {
				fmt.Fprintf(io.stdout, " (%s)", v.Reason)
			}
			fmt.Fprintln(io.stdout)
		}
	}
	if !all {
		return exitFail
	}
	return exitOK
}

func runDKIMCheck(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "dkim check", dkimUsage)
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	keyFile := fs.String("key", "", "private key file (PEM)")
	domain := fs.String("domain", "", "signing domain (d=)")
	selector := fs.String("selector", "", "selector (s=)")
	if _, code := parseFlags(fs, args); code != flagsOK {
		return code
	}
	if *keyFile == "" || *domain == "" || *selector == "" {
		return usageError(io, dkimUsage, "dkim check: -key, -domain and -selector are required")
	}
	res, err := authResolver(*zone)
	if err != nil {
		return inputError(io, *jsonOut, *zone, err)
	}
	key, err := loadKeyFile(*keyFile)
	if err != nil {
		return inputError(io, *jsonOut, *keyFile, err)
	}
	var r dkim.Resolver
	if res != nil {
		r = res
	}
	c, err := dkim.CheckPublished(context.Background(), r, *domain, *selector, key)
	if err != nil {
		return inputError(io, *jsonOut, *keyFile, err)
	}
	if *jsonOut {
		writeJSON(io.stdout, c)
	} else {
		fmt.Fprintf(io.stdout, "%s: %s\n  %s\n", c.Name, c.Status, c.Reason)
	}
	if !c.OK() {
		return exitFail
	}
	return exitOK
}
