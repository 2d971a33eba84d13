package probe

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/canary"
	"forensics/llm/embedded"
	"forensics/watermark"
)

func TestPublicName(t *testing.T) {
	dir := t.TempDir()
	key, err := watermark.NewKeyFromSecret("main", watermark.DefaultParams(), [32]byte{1}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "keys", "main.yaml")
	os.MkdirAll(filepath.Dir(keyPath), 0o700)
	if err := key.WriteFile(keyPath, false); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "models", "student.model")
	os.MkdirAll(filepath.Dir(model), 0o755)
	os.WriteFile(model, []byte("model bytes"), 0o644)
	answers := filepath.Join(dir, "collected.jsonl")
	os.WriteFile(answers, []byte(`{"prompt":"p","text":"t"}`+"\n"), 0o644)
	kc := "key_id=main&key_commitment=" + key.Commitment()
	cases := []struct{ spec, want string }{
		{"ollama://127.0.0.1:11434/suspect:7b", "ollama://127.0.0.1:11434/suspect:7b"},
		{"ollama://user:secret@host:1/m?token=abc#x", "ollama://host:1/m"},
		{"openais://api.example:443/v1/gpt?api_key=sk-1", "openais://api.example:443/v1/gpt"},
		{"embedded:reference", "embedded:reference"},
		{"embedded:reference?plant=1&key=" + keyPath, "embedded:reference?" + kc + "&plant=1"},
		{"embedded:" + model, "embedded:student.model?sha256=" + sha256Hex([]byte("model bytes"))},
		{"embedded:" + model + "?key=" + keyPath, "embedded:student.model?sha256=" + sha256Hex([]byte("model bytes")) + "&" + kc},
		{"file:" + answers, "file:collected.jsonl?sha256=" + sha256Hex([]byte(`{"prompt":"p","text":"t"}`+"\n"))},
		{"file://" + answers, "file:collected.jsonl?sha256=" + sha256Hex([]byte(`{"prompt":"p","text":"t"}`+"\n"))},
		{"experiment:echo", "experiment:echo"},
		{"echo:/home/alice/x?token=SECRET", "echo:x"},
		{"foo:bar?token=SECRET#frag", "foo:bar"},
		{"/home/alice/stand-in;sid=SECRET", "stand-in"},
		{"stand-in:" + dir + "/relay", "stand-in:relay"},
	}
	for _, c := range cases {
		got, err := PublicName(c.spec)
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		if got != c.want {
			t.Errorf("PublicName(%s)\n got %s\nwant %s", c.spec, got, c.want)
		}
		if strings.Contains(got, dir) {
			t.Errorf("PublicName(%s) = %s names the local folder", c.spec, got)
		}
	}
	for _, bad := range []string{"embedded:" + dir + "/missing.model", "embedded:reference?key=" + dir + "/none.yaml", "file:" + dir + "/none.jsonl", "embedded:reference?%zz"} {
		if _, err := PublicName(bad); err == nil {
			t.Errorf("PublicName(%s): no error", bad)
		}
	}
}

func TestPublicCommand(t *testing.T) {
	names := map[string]string{"embedded:/home/x/s.model": "embedded:s.model?sha256=ab", "ollama://h:1/m": "ollama://h:1/m"}
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"nil", nil, nil},
		{"flags", []string{"forensics probe", "--key=/home/x/keys/main.yaml", "--target=embedded:/home/x/s.model", "--out=/home/x/case/", "--prompts=20", "--budget=1000 tokens"},
			[]string{"forensics probe", "--key=main.yaml", "--target=embedded:s.model?sha256=ab", "--out=case", "--prompts=20", "--budget=1000 tokens"}},
		{"separate values", []string{"forensics", "demo", "--out", "/tmp/demo-1", "--reference", "ollama://h:1/m"},
			[]string{"forensics", "demo", "--out", "demo-1", "--reference", "ollama://h:1/m"}},
		{"windows path", []string{`--tokenizer=C:\Users\x\teacher.tok.json`}, []string{"--tokenizer=teacher.tok.json"}},
		{"relative", []string{"--request-log=logs/a.jsonl", "-o=case"}, []string{"--request-log=a.jsonl", "-o=case"}},
	}
	for _, c := range cases {
		got := publicCommand(c.in, names)
		if strings.Join(got, "\x00") != strings.Join(c.want, "\x00") || (got == nil) != (c.want == nil) {
			t.Errorf("%s: publicCommand\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// TestCollectNamesAndResumes runs a probe from specs with local paths:
// its manifest and transcripts name the target publicly, the same setup
// resumes, a key file that changed since is a changed plan, and a folder
// whose manifest an earlier build wrote with the specs themselves resumes
// under that manifest.
func TestCollectNamesAndResumes(t *testing.T) {
	home := t.TempDir()
	keyPath := filepath.Join(home, "keys", "main.yaml")
	os.MkdirAll(filepath.Dir(keyPath), 0o700)
	key, _ := watermark.NewKeyFromSecret("main", watermark.DefaultParams(), [32]byte{3}, time.Time{})
	if err := key.WriteFile(keyPath, false); err != nil {
		t.Fatal(err)
	}
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := LoadCanaries(canary.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	setup := func(dir string) Setup {
		return Setup{Dir: dir, Key: key, Tokenizer: m.Tokenizer(), Canaries: cs,
			Targets: Targets{Suspect: "embedded:reference?key=" + keyPath}, Plan: Plan{Prompts: 3},
			Alpha: 0.01, Sampling: Sampling{Temperature: 0.8, MaxTokens: 20, Seed: 3}, Rounds: 99, NullSeed: "n",
			Command: []string{"forensics probe", "--key=" + keyPath, "--target=embedded:reference?key=" + keyPath, "--out=" + dir}}
	}
	ctx := context.Background()
	s := setup(filepath.Join(home, "case"))
	if _, err := Collect(ctx, s); err != nil {
		t.Fatal(err)
	}
	// JSON writes & as \u0026.
	want := `embedded:reference?key_id=main\u0026key_commitment=` + key.Commitment()
	for _, f := range []string{FileManifest, FileTranscripts} {
		data, _ := os.ReadFile(filepath.Join(s.Dir, f))
		if strings.Contains(string(data), home) || !strings.Contains(string(data), want) {
			t.Errorf("%s names %s, or not %s:\n%.600s", f, home, want, data)
		}
	}
	var notes []string
	s.Notice = func(n string) { notes = append(notes, n) }
	if _, err := Collect(ctx, s); err != nil || !strings.Contains(strings.Join(notes, "\n"), "resuming") {
		t.Errorf("resume: %v %q", err, notes)
	}
	// Another key in the same file is another plan.
	other, _ := watermark.NewKeyFromSecret("main", watermark.DefaultParams(), [32]byte{4}, time.Time{})
	os.Remove(keyPath)
	other.WriteFile(keyPath, false)
	if _, err := Collect(ctx, s); err == nil || !strings.Contains(err.Error(), "targets") {
		t.Errorf("a changed key file: %v", err)
	}
	os.Remove(keyPath)
	key.WriteFile(keyPath, false)
	// A folder an earlier build began, with the specs in its manifest.
	legacy := setup(filepath.Join(home, "old"))
	man, tok, err := legacy.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	man.Targets = legacy.Targets
	if _, _, err := Prepare(legacy.Dir, man, cs, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := Collect(ctx, legacy); err != nil {
		t.Fatalf("resume of a manifest with specs: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(legacy.Dir, FileTranscripts))
	if !strings.Contains(string(data), `"target":"embedded:reference?key=`+keyPath+`"`) {
		t.Errorf("the old folder's records do not follow its own manifest:\n%.400s", data)
	}
}

// FuzzPublicName checks that a spec's public name keeps no path: a URL
// target's name is its scheme, host and path, anything else's has no
// separator at all; and that publicCommand keeps none either.
func FuzzPublicName(f *testing.F) {
	for _, s := range []string{"ollama://127.0.0.1:11434/m:7b", "ollama://u:p@h:1/m?k=v#f", "openais://h/v1/m", "experiment:echo",
		"stand-in:/home/x/relay", "/home/x/y:z", `C:\Users\x\m.model`, "noscheme", "a:", ":b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if strings.HasPrefix(spec, "embedded:") || strings.HasPrefix(spec, "file:") {
			return // these read the files they name (TestPublicName)
		}
		name, err := PublicName(spec)
		if err != nil {
			return
		}
		scheme, _, _ := strings.Cut(spec, ":")
		switch scheme {
		case "ollama", "openai", "openais":
			if u, err := url.Parse(name); err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				t.Errorf("PublicName(%q) = %q keeps user info, a query or a fragment (%v)", spec, name, err)
			}
		default:
			if strings.ContainsAny(name, `/\`) {
				t.Errorf("PublicName(%q) = %q keeps a path", spec, name)
			}
		}
		for _, a := range publicCommand([]string{spec, "--x=" + spec}, nil) {
			if _, v, _ := strings.Cut(a, "="); strings.ContainsAny(v, `/\`) || (!strings.HasPrefix(a, "-") && strings.ContainsAny(a, `/\`)) {
				t.Errorf("publicCommand keeps a path in %q", a)
			}
		}
	})
}
