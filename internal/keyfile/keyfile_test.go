package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestWriteRefusesLinks plants a symbolic link at the output path, pointing
// at a victim file, and checks that no write reaches the victim.
func TestWriteRefusesLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	tests := []struct {
		name      string
		overwrite bool
		dangling  bool
	}{
		{"new file", false, false},
		{"overwrite", true, false},
		{"new file, dangling link", false, true},
		{"overwrite, dangling link", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim")
			if !tt.dangling {
				if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "key")
			if err := os.Symlink(victim, path); err != nil {
				t.Fatal(err)
			}
			err := Write(path, []byte("secret\n"), 0o600, tt.overwrite)
			if err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Fatalf("wrote through a link: %v", err)
			}
			got, rerr := os.ReadFile(victim)
			switch {
			case tt.dangling && !errors.Is(rerr, os.ErrNotExist):
				t.Fatalf("the link's target was created: %q %v", got, rerr)
			case !tt.dangling && string(got) != "precious\n":
				t.Fatalf("victim changed to %q (%v)", got, rerr)
			}
			if st, err := os.Lstat(path); err != nil || st.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link itself changed: %v %v", st, err)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".key.tmp-*")); len(left) > 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}

func TestWriteCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := Write(path, []byte("one"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two"), 0o600, false); !errors.Is(err, ErrExist) {
		t.Fatalf("second write without overwrite: %v", err)
	}
	os.Chmod(path, 0o644)
	if err := Write(path, []byte("three"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	data, err := Read(path, 100)
	if err != nil || string(data) != "three" {
		t.Fatalf("read %q, %v", data, err)
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after replace", st.Mode().Perm())
	}
	if err := Write(dir, []byte("x"), 0o600, true); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("replaced a folder: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("folder holds %d entries, want the key only", len(ents))
	}
}

func TestReadRefusesExposedSecrets(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want string
	}{
		{"group and others read", write("k644", 0o644), "chmod 600"},
		{"group reads", write("k640", 0o640), "permissions 0640"},
		{"others write", write("k602", 0o602), "permissions 0602"},
		{"a folder", dir, "not a regular file"},
		{"too large", write("big", 0o600), "larger than 3 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := int64(100)
			if tt.name == "too large" {
				limit = 3
			}
			_, err := Read(tt.path, limit)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := Read(write("ok", 0o600), 100); err != nil {
		t.Fatalf("0600 refused: %v", err)
	}
	if _, err := Read(write("ok400", 0o400), 100); err != nil {
		t.Fatalf("0400 refused: %v", err)
	}
}

// TestReadRefusesOtherOwner needs root to give a file to another user.
func TestReadRefusesOtherOwner(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	p := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(p, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 4242, 4242); err != nil {
		t.Skip(err)
	}
	if _, err := Read(p, 100); err == nil || !strings.Contains(err.Error(), "owned by user id 4242") {
		t.Fatalf("another user's key accepted: %v", err)
	}
}
