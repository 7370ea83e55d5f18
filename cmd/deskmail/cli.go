package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0 // everything checked out
	exitFail  = 1 // a check failed
	exitUsage = 2 // usage error, or input that could not be read or parsed
)

// cliIO is what a command reads and writes; tests replace it.
type cliIO struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func newIO() *cliIO {
	return &cliIO{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
}

// command is one top-level subcommand. Each lives in its own file and adds
// itself to the table in commands.go.
type command struct {
	name    string
	summary string // one line, shown by "deskmail help"
	usage   string // full usage, shown by "deskmail help NAME" and on usage errors
	run     func(io *cliIO, args []string) int
}

// commandTable returns the commands sorted by name.
func commandTable() []*command {
	cmds := append([]*command(nil), commands...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func run(args []string, io *cliIO) int {
	if len(args) == 0 {
		printHelp(io.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := findCommand(args[1]); c != nil {
				fmt.Fprintln(io.stdout, strings.TrimSpace(c.usage))
				return exitOK
			}
			fmt.Fprintf(io.stderr, "deskmail: unknown command %q\n", args[1])
			return exitUsage
		}
		printHelp(io.stdout)
		return exitOK
	}
	c := findCommand(args[0])
	if c == nil {
		fmt.Fprintf(io.stderr, "deskmail: unknown command %q; run 'deskmail help'\n", args[0])
		return exitUsage
	}
	return c.run(io, args[1:])
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "deskmail: email plumbing for helpdesks, from the command line")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: deskmail COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commandTable() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes -json for one JSON object per input.")
	fmt.Fprintln(w, "Run 'deskmail help COMMAND' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 ok, 1 a check failed, 2 usage or input error.")
}

// newFlagSet returns a flag set that reports errors to io.stderr with the
// command's usage, and a -json flag.
func newFlagSet(io *cliIO, name, usage string) (*flag.FlagSet, *bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.stderr)
	fs.Usage = func() { fmt.Fprintln(io.stderr, strings.TrimSpace(usage)) }
	jsonOut := fs.Bool("json", false, "print one JSON object per input")
	return fs, jsonOut
}

// parseFlags parses args and returns exitUsage-worthy errors as a bool.
// It accepts flags after positional arguments too ("deskmail bounce parse
// FILE -json"), as administrators type them.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, false
			}
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(w, "{\"error\":%q}\n", err.Error())
	}
}

// usageError prints msg and the usage, and returns exitUsage.
func usageError(io *cliIO, usage, format string, args ...any) int {
	fmt.Fprintf(io.stderr, "deskmail: "+format+"\n", args...)
	fmt.Fprintln(io.stderr, strings.TrimSpace(usage))
	return exitUsage
}

// inputError prints an error about input that could not be read or parsed
// and returns exitUsage. With jsonOut it also prints {"file", "error"} so a
// script sees one object per input.
func inputError(io *cliIO, jsonOut bool, file string, err error) int {
	if jsonOut {
		writeJSON(io.stdout, map[string]string{"file": file, "error": err.Error()})
	}
	fmt.Fprintf(io.stderr, "deskmail: %s: %v\n", file, err)
	return exitUsage
}
