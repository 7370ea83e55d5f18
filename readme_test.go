package deskmail_test

import (
	"os"
	"strings"
	"testing"
)

// The README's quick start is examples/host/quickstart/main.go, a program
// that builds in a host's own module: the two must not drift apart.
func TestReadmeQuickStartIsTheExampleProgram(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := os.ReadFile("examples/host/quickstart/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Quick start\n")
	if !ok {
		t.Fatal("README has no Quick start section")
	}
	_, block, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the Quick start section has no Go code block")
	}
	block, _, ok = strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("the Quick start code block is not closed")
	}
	if block != string(prog) {
		t.Errorf("the README's quick start differs from examples/host/quickstart/main.go; copy the file into the README")
	}
}
