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

	"github.com/deskmail/deskmail"
)

// Exit codes.
const (
	exitOK    = 0 // everything checked out
	exitFail  = 1 // a check failed, a finding, or input that is empty or could not be read or parsed
	exitUsage = 2 // usage error: unknown command, bad flag, missing argument
)

// errPrefix starts every error line the tool prints.
const errPrefix = "deskmail: "

// cliIO is what a command reads and writes; tests replace it.
type cliIO struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// raw is stdout without terminal escaping, for output that must be
	// byte-exact (a signed message). run sets it.
	raw io.Writer
}

// terminalSafe returns a copy of cio whose stdout and stderr escape the
// control and format characters a hostile mail could carry (ESC, NUL, C1,
// bidirectional overrides), keeping tabs and line ends.
func (cio *cliIO) terminalSafe() *cliIO {
	c := *cio
	c.raw = cio.stdout
	c.stdout = termWriter{cio.stdout}
	c.stderr = termWriter{cio.stderr}
	return &c
}

// termWriter escapes what deskmail.Sanitize escapes, except tabs and line
// ends.
type termWriter struct{ w io.Writer }

func (t termWriter) Write(p []byte) (int, error) {
	clean := true
	for _, c := range p {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return t.w.Write(p)
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(p), "\n") {
		body := strings.TrimRight(line, "\r\n")
		b.WriteString(strings.ReplaceAll(deskmail.SanitizeN(body, 0), `\t`, "\t"))
		b.WriteString(line[len(body):])
	}
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
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
	io = io.terminalSafe()
	if len(args) == 0 {
		printHelp(io.stderr)
		return exitUsage
	}
	switch args[0] {
	case "version", "-version", "--version":
		return runVersion(io, args[1:])
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
	fmt.Fprintln(w, "Exit status: 0 ok; 1 a check failed, a finding, or input that is empty or")
	fmt.Fprintln(w, "unreadable; 2 a usage error. 'deskmail version' prints the version.")
}

// newFlagSet returns a flag set that reports errors to io.stderr with the
// command's usage (to io.stdout for -h), and a -json flag.
func newFlagSet(io *cliIO, name, usage string) (*flag.FlagSet, *bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.stderr)
	fs.Usage = func() { fmt.Fprintln(io.stderr, strings.TrimSpace(usage)) }
	h := &helpFlag{print: func() { fmt.Fprintln(io.stdout, strings.TrimSpace(usage)) }}
	fs.Var(h, "h", "print this help")
	fs.Var(h, "help", "print this help")
	jsonOut := fs.Bool("json", false, "print one JSON object per input")
	return fs, jsonOut
}

// flagsOK is what parseFlags returns when the command should go on.
const flagsOK = -1

// parseFlags parses args and returns the positional arguments and flagsOK,
// or the exit code to return at once: exitOK after -h or -help printed the
// usage to stdout, exitUsage after a bad flag (reported on stderr). It accepts flags after
// positional arguments too ("deskmail bounce parse FILE -json"), as
// administrators type them.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, exitUsage
		}
		if helpSet(fs) {
			return nil, exitOK
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, flagsOK
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), flagsOK
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

// helpFlag is -h and -help: it prints the usage to stdout, and parseFlags
// then returns exitOK.
type helpFlag struct {
	set   bool
	print func()
}

func (h *helpFlag) String() string   { return "false" }
func (h *helpFlag) IsBoolFlag() bool { return true }
func (h *helpFlag) Set(string) error {
	if !h.set {
		h.set = true
		h.print()
	}
	return nil
}

// helpSet reports whether -h or -help was given to fs.
func helpSet(fs *flag.FlagSet) bool {
	f := fs.Lookup("h")
	if f == nil {
		return false
	}
	h, ok := f.Value.(*helpFlag)
	return ok && h.set
}

// usageError prints msg and the usage, and returns exitUsage.
func usageError(io *cliIO, usage, format string, args ...any) int {
	fmt.Fprintln(io.stderr, errPrefix+strings.TrimPrefix(fmt.Sprintf(format, args...), errPrefix))
	fmt.Fprintln(io.stderr, strings.TrimSpace(usage))
	return exitUsage
}

// errorText is err's message for a terminal: without a repeated "deskmail: "
// prefix and with any control characters escaped.
func errorText(err error) string {
	return deskmail.Sanitize(strings.TrimPrefix(err.Error(), errPrefix))
}

// inputError prints an error about input that is empty or could not be read
// or parsed and returns exitFail. With jsonOut it also prints {"file",
// "error"} so a script sees one object per input.
func inputError(io *cliIO, jsonOut bool, file string, err error) int {
	if jsonOut {
		writeJSON(io.stdout, map[string]string{"file": file, "error": errorText(err)})
	}
	fmt.Fprintf(io.stderr, "%s%s: %s\n", errPrefix, deskmail.Sanitize(file), errorText(err))
	return exitFail
}

// errEmpty is the error for an input without a byte in it.
var errEmpty = errors.New("empty input")

// maxInput bounds what one input may hold: larger than any mail a server
// accepts, small enough for memory.
const maxInput = 64 << 20

// readInput reads the file name, or stdin for "-", and refuses empty input
// and input over maxInput.
func readInput(cio *cliIO, name string) ([]byte, error) {
	r := cio.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	switch {
	case len(data) == 0:
		return nil, errEmpty
	case len(data) > maxInput:
		return nil, fmt.Errorf("larger than %d MiB", maxInput>>20)
	}
	return data, nil
}

// inputs returns the positional arguments, or "-" (stdin) when there are
// none.
func inputs(pos []string) []string {
	if len(pos) == 0 {
		return []string{"-"}
	}
	return pos
}
