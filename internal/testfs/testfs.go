// Package testfs has file helpers for tests.
package testfs

import (
	"os"
	"path/filepath"
	"testing"
)

// CopyDir copies the regular files of dir into a new temporary folder and
// returns it; edit, if set, may change each file's bytes on the way (by
// name).
func CopyDir(t testing.TB, dir string, edit func(name string, data []byte) []byte) string {
	t.Helper()
	cp := t.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			data = edit(e.Name(), data)
		}
		if err := os.WriteFile(filepath.Join(cp, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cp
}
