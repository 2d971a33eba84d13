// Package hfref finds, for tests, the Hugging Face reference packages that
// scripts/install-hfref.sh installs into the git-ignored
// e2e/hfref/node_modules (Hugging Face's JavaScript tokenizers and Jinja,
// and current models' tokenizer files), and Node to run them.
package hfref

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvRequire makes a missing install fail the tests that need it rather
// than skip them (make test and CI set it).
const EnvRequire = "FORENSICS_REQUIRE_HFREF"

// Modules returns e2e/hfref/node_modules (found by walking up from the
// test's directory to go.mod) and the node binary, after checking that
// every path in need (relative to node_modules) exists. When something is
// missing the test is skipped, or failed under FORENSICS_REQUIRE_HFREF=1.
func Modules(t testing.TB, need ...string) (modules, node string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	modules = filepath.Join(dir, "e2e", "hfref", "node_modules")
	missing := ""
	if node, err = exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	}
	for _, p := range need {
		if _, err := os.Stat(filepath.Join(modules, p)); err != nil && missing == "" {
			missing = fmt.Sprintf("%s is not installed (scripts/install-hfref.sh)", filepath.Join("e2e/hfref/node_modules", p))
		}
	}
	if missing != "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but %s", EnvRequire, missing)
		}
		t.Skipf("Hugging Face reference missing: %s (%s=1 makes this a failure)", missing, EnvRequire)
	}
	return modules, node
}
