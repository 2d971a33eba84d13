package evidence

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSigningKeyRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signer.key")
	pub, err := WriteSigningKey(path, false)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := LoadSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	pub2, err := LoadPublicKey(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) || !pub.Equal(pub2) {
		t.Fatal("the files do not hold one key pair")
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v", st.Mode().Perm())
	}
	if _, err := WriteSigningKey(path, false); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrote a signing key without being told to: %v", err)
	}
	if again, _ := LoadPublicKey(path + ".pub"); !again.Equal(pub) {
		t.Fatal("a refused keygen replaced the public key")
	}
	pub3, err := WriteSigningKey(path, true)
	if err != nil || pub3.Equal(pub) {
		t.Fatalf("overwrite: %v", err)
	}
	if priv, err := LoadSigningKey(path); err != nil || !pub3.Equal(priv.Public().(ed25519.PublicKey)) {
		t.Fatalf("after overwrite: %v", err)
	}
}

// TestWriteSigningKeyRefusesSymlinks plants a link to a victim file at the
// private key's path and at the public key's, and runs keygen with and
// without overwrite: the victim must stay as it was.
func TestWriteSigningKeyRefusesSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	for _, at := range []string{"signer.key", "signer.key.pub"} {
		for _, overwrite := range []bool{false, true} {
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim.txt")
			if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, filepath.Join(dir, at)); err != nil {
				t.Fatal(err)
			}
			_, err := WriteSigningKey(filepath.Join(dir, "signer.key"), overwrite)
			if err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("link at %s, overwrite=%v: %v", at, overwrite, err)
			}
			if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
				t.Errorf("link at %s, overwrite=%v: victim now holds %q", at, overwrite, got)
			}
			if at == "signer.key.pub" {
				if _, err := os.Lstat(filepath.Join(dir, "signer.key")); !os.IsNotExist(err) {
					t.Errorf("overwrite=%v: a private key was written although its .pub could not be: %v", overwrite, err)
				}
			}
		}
	}
}

// TestLoadSigningKeyRefusesExposedKeys: a signing key others can read (or
// that is not a regular file) is refused, as watermark keys are.
func TestLoadSigningKeyRefusesExposedKeys(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "signer.key")
	if _, err := WriteSigningKey(path, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mode os.FileMode
		want string
	}{
		{"world-readable", 0o644, "permissions 0644 let group or others read it; run: chmod 600 " + path},
		{"group-readable", 0o640, "chmod 600"},
		{"world-writable", 0o602, "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadSigningKey(path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("mode %04o: %v, want %q", tt.mode, err, tt.want)
			}
		})
	}
	if _, err := LoadSigningKey(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a folder: %v", err)
	}
	os.Chmod(path, 0o600)
	if _, err := LoadSigningKey(path); err != nil {
		t.Fatalf("0600 key refused: %v", err)
	}
}
