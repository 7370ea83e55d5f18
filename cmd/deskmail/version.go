package main

import (
	"fmt"
	"runtime/debug"
)

const versionUsage = `
Usage: deskmail version [-json]

Prints the version of the deskmail module this binary was built from (from
the build information: a release tag, a pseudo-version, or "(devel)" for a
build inside the repository) and the Go version.
`

// moduleVersion returns the deskmail module's version and the Go version
// from the binary's build information.
func moduleVersion() (mod, goVersion string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", "unknown"
	}
	mod = bi.Main.Version
	if bi.Main.Path != "github.com/deskmail/deskmail" {
		// Built as a dependency of another module: find deskmail there.
		for _, d := range bi.Deps {
			if d.Path == "github.com/deskmail/deskmail" {
				mod = d.Version
				if d.Replace != nil {
					mod += " => " + d.Replace.Path
				}
			}
		}
	}
	if mod == "" {
		mod = "(devel)"
	}
	return mod, bi.GoVersion
}

func runVersion(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "version", versionUsage)
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if len(pos) > 0 {
		return usageError(io, versionUsage, "version: unexpected argument %q", pos[0])
	}
	mod, gov := moduleVersion()
	if *jsonOut {
		writeJSON(io.stdout, map[string]string{"version": mod, "go": gov})
		return exitOK
	}
	fmt.Fprintf(io.stdout, "deskmail %s (%s)\n", mod, gov)
	return exitOK
}
