package watermark

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var testTime = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func TestKeyRoundTrip(t *testing.T) {
	k, err := NewKey("", Params{Gamma: 0.3, Delta: 1.5, ContextWidth: 3, PayloadBits: 16})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := k.WriteFile(path, false); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key written with mode %v", st.Mode().Perm())
	}
	got, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID || got.Params != k.Params || got.secret != k.secret || !got.Created.Equal(k.Created) {
		t.Fatalf("round trip changed the key: %v vs %v", got, k)
	}
	if got.Commitment() != k.Commitment() {
		t.Fatal("commitment changed")
	}
	if err := k.WriteFile(path, false); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrote an existing key: %v", err)
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	k := testKey(1, 0xA0)
	secret := hex.EncodeToString(k.secret[:])
	sc := NewScheme(k)
	sub := fmt.Sprintf("%d", sc.k0)
	for _, s := range []string{k.String(), k.GoString(), k.Commitment(),
		fmt.Sprintf("%v %+v %#v %x %s", *k, *k, *k, *k, k), fmt.Sprintf("%v %+v %#v %d", sc, sc, sc, sc)} {
		if strings.Contains(s, secret) || strings.Contains(s, sub) || strings.Contains(s, fmt.Sprint(k.secret[0], " ", k.secret[1])) {
			t.Fatalf("secret material in %q", s)
		}
	}
}

func TestLoadKeyRejectsOpenPermissions(t *testing.T) {
	k := testKey(1, 1)
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, k.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKey(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key loaded: %v", err)
	}
}

// TestWriteFileRefusesSymlink plants a link at the key's path pointing at
// a victim file: neither a new key nor a forced overwrite may reach it.
func TestWriteFileRefusesSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	for _, overwrite := range []bool{false, true} {
		dir := t.TempDir()
		victim := filepath.Join(dir, "victim.txt")
		if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "k.yaml")
		if err := os.Symlink(victim, path); err != nil {
			t.Fatal(err)
		}
		err := testKey(1, 5).WriteFile(path, overwrite)
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("overwrite=%v: wrote through a link: %v", overwrite, err)
		}
		if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
			t.Errorf("overwrite=%v: victim now holds %q", overwrite, got)
		}
	}
}

func TestLoadKeyRejectsNonRegular(t *testing.T) {
	if _, err := LoadKey(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("loaded a folder as a key: %v", err)
	}
}

func TestParseKeyErrors(t *testing.T) {
	good := string(testKey(2, 7).Marshal())
	secret := hex.EncodeToString(testKey(2, 7).secret[:])
	replace := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"truncated", good[:len(good)/2], "lacks"},
		{"not yaml", "\x00\x01{[", "malformed"},
		{"unknown field", good + "colour: green\n", "malformed"},
		{"gamma 0", replace("gamma: 0.25", "gamma: 0"), "gamma 0 is outside (0,1)"},
		{"gamma 1", replace("gamma: 0.25", "gamma: 1"), "outside (0,1)"},
		{"gamma text", replace("gamma: 0.25", "gamma: "+secret), "malformed"},
		{"negative delta", replace("delta: 2", "delta: -1"), "delta"},
		{"h 9", replace("context_width: 2", "context_width: 9"), "context width 9"},
		{"short secret", replace(secret, secret[:10]), "64 hex digits"},
		{"bad hex", replace(secret, strings.Repeat("zz", 32)), "64 hex digits"},
		{"other scheme", replace(SchemeName, "aar-v0"), "not supported"},
		{"version 2", replace("version: 1", "version: 2"), "version 2"},
		{"secret as id", replace("id: test-2-7", "id: \""+secret+"!\""), "id is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKey([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("secret leaked into the error: %v", err)
			}
		})
	}
}

func FuzzParseKey(f *testing.F) {
	good := testKey(1, 3).Marshal()
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte("version: 1\nsecret: [1,2]\n"))
	f.Add([]byte("gamma: .nan\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
		if err != nil {
			// The error must not echo any 16+ hex-digit run of the input: a
			// secret, wherever it was put.
			for _, tok := range strings.FieldsFunc(string(data), func(r rune) bool {
				return !strings.ContainsRune("0123456789abcdefABCDEF", r)
			}) {
				if len(tok) >= 16 && strings.Contains(err.Error(), tok) {
					t.Fatalf("error %q echoes input %q", err, tok)
				}
			}
			return
		}
		if err := k.Params.Validate(); err != nil {
			t.Fatalf("parsed a key with invalid params: %v", err)
		}
		again, err := ParseKey(k.Marshal())
		if err != nil || again.secret != k.secret || again.Params != k.Params || again.ID != k.ID {
			t.Fatalf("marshal round trip failed: %v", err)
		}
	})
}
