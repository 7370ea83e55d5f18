package dmarc_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSPFOrDKIMImport keeps dmarc free of the method packages: the
// verdict that combines them lives in senderauth.
func TestNoSPFOrDKIMImport(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); p == "github.com/deskmail/deskmail/spf" || p == "github.com/deskmail/deskmail/dkim" {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
