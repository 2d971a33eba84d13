package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeCommand runs probe and verify as a user would: our watermarked
// service (the embedded model with our key) as the suspect is caught, the
// bundle verifies with and without the key and with the signer pinned, a
// re-run resumes without asking again, and a changed plan is refused.
func TestProbeCommand(t *testing.T) {
	// A fixed key and seed, and no key-swap null (whose uniformity check
	// withholds a verdict 1% of the time by design): the verdicts asserted
	// below are then the same on every run.
	key := fixedKeyFile(t, 5)
	dir := t.TempDir()
	sign := filepath.Join(dir, "signer.key")
	if code, out, stderr := runCLI(t, "", "keygen", "--signing", "--out", sign); code != 0 || !strings.Contains(out, "ed25519:") {
		t.Fatalf("keygen --signing: %d %s %s", code, out, stderr)
	}
	if st, _ := os.Stat(sign); st.Mode().Perm() != 0o600 {
		t.Errorf("signing key mode %v", st.Mode().Perm())
	}
	bundle := filepath.Join(dir, "case")
	args := []string{"probe", "--target", "embedded:reference?key=" + key, "--key", key,
		"--control", "embedded:reference", "--prompts", "40", "--triggers", "4", "--max-tokens", "80",
		"--null-keys", "0", "--rounds", "199", "--seed", "11", "--sign", sign, "--out", bundle}
	code, out, stderr := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("probe: %d\n%s\n%s", code, out, stderr)
	}
	// Our own service as the suspect, with no reference to compare with:
	// its text depends on ours, and nothing rules out a relay.
	for _, want := range []string{"radioactivity  rejected", "depend on text our service generated (it was trained on it, relays our service, or copies it). — SUPPORTED",
		"trained on text our service generated (not merely relaying our service). — WITHHELD", "forensics verify " + bundle} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"manifest.json", "canaries.yaml", "tokenizer.json", "transcripts.jsonl", "results.json", "MERKLE_ROOT", "SHA256SUMS.sig", "SHA256SUMS"} {
		if _, err := os.Stat(filepath.Join(bundle, f)); err != nil {
			t.Errorf("bundle lacks %s", f)
		}
	}
	code, out, stderr = runCLI(t, "", "verify", "--key", key, "--pub", sign+".pub", bundle)
	if code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("verify: %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "", "verify", "--json", bundle)
	var vr struct {
		OK     bool
		Checks []struct{ Name, Detail string }
	}
	if err := json.Unmarshal([]byte(out), &vr); code != 0 || err != nil || !vr.OK || !strings.Contains(out, "radioactivity taken as recorded") {
		t.Errorf("verify without key: %d %v\n%s", code, err, out)
	}
	// Signed by someone else.
	other := filepath.Join(dir, "other.key")
	runCLI(t, "", "keygen", "--signing", "--out", other)
	if code, out, _ := runCLI(t, "", "verify", "--pub", other+".pub", bundle); code != 1 || !strings.Contains(out, "not by the given public key") {
		t.Errorf("foreign signer: %d\n%s", code, out)
	}
	// The same command again resumes with nothing to ask.
	code, out, stderr = runCLI(t, "", args...)
	if code != 0 || !strings.Contains(stderr, "resuming") || !strings.Contains(out, " 0 now") {
		t.Errorf("re-run: %d\n%s\n%s", code, out, stderr)
	}
	// A different plan in the same folder is refused.
	changed := append(append([]string{}, args...), "--alpha", "0.05")
	if code, _, stderr := runCLI(t, "", changed...); code != 1 || !strings.Contains(stderr, "alpha") {
		t.Errorf("changed plan: %d %s", code, stderr)
	}
	// An altered transcript byte is named.
	path := filepath.Join(bundle, "transcripts.jsonl")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), `"status":200`, `"status":201`, 1)), 0o644)
	code, out, stderr = runCLI(t, "", "verify", bundle)
	if code != 1 || !strings.Contains(stderr, "transcripts.jsonl: SHA-256 differs") {
		t.Errorf("tampered bundle: %d\n%s\n%s", code, out, stderr)
	}
}

func TestProbeCommandErrors(t *testing.T) {
	key := newKeyFile(t)
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"probe", "--key", key, "--out", out}, 2, "--target is required"},
		{[]string{"probe", "--target", "embedded:reference", "--out", out}, 2, "--key is required"},
		{[]string{"probe", "--target", "embedded:reference", "--key", key, "--out", out, "--alpha", "2"}, 2, "--alpha"},
		{[]string{"probe", "--target", "embedded:reference", "--key", key, "--out", out, "--budget", "9 apples"}, 2, "apples"},
		{[]string{"probe", "--target", "ollama://127.0.0.1:1/m", "--key", key, "--out", filepath.Join(out, "x")}, 1, "unreachable"},
		{[]string{"probe", "--target", "embedded:reference", "--key", key, "--canaries", "/no/such.yaml", "--out", out}, 1, "no such file"},
		{[]string{"verify"}, 2, "one bundle folder"},
		{[]string{"verify", "/no/such/bundle"}, 1, "SHA256SUMS"},
	} {
		code, _, stderr := runCLI(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestProbeOnTerminalWithoutPlan: on a terminal the progress bar is sized
// from the probe's plan; a plan that cannot be made (here, answers from a
// file that is not there) is the probe's error to report, not a crash (it
// was a nil dereference).
func TestProbeOnTerminalWithoutPlan(t *testing.T) {
	key := newKeyFile(t)
	missing := filepath.Join(t.TempDir(), "collected.jsonl")
	var out, errOut bytes.Buffer
	io := &ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: true}
	code := run(context.Background(), []string{"probe", "--target", "file:" + missing, "--key", key, "--out", t.TempDir()}, io)
	if code != 1 || !strings.Contains(errOut.String(), "no such file") {
		t.Fatalf("exit %d, %q; want 1 and the missing file", code, errOut.String())
	}
}

// TestKeyTokenizerMismatch: a key made for one tokenizer refuses another,
// in detect and in probe, before anything is written.
func TestKeyTokenizerMismatch(t *testing.T) {
	key := newKeyFile(t, "--tokenizer", "embedded")
	data, _ := os.ReadFile(key)
	if !strings.Contains(string(data), "tokenizer: gpt2:sha256:") {
		t.Fatalf("key file lacks the tokenizer id:\n%s", data)
	}
	if code, _, stderr := runCLI(t, "some text to score", "detect", "--key", key, "--tokenizer", "words-v1"); code != 1 || !strings.Contains(stderr, "was made for tokenizer") {
		t.Errorf("detect with another tokenizer: %d %s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "b")
	if code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference", "--key", key, "--tokenizer", "words-v1", "--out", out); code != 1 || !strings.Contains(stderr, "was made for tokenizer") {
		t.Errorf("probe with another tokenizer: %d %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("probe created its folder before refusing")
	}
	if code, _, stderr := runCLI(t, "the same text to score again and again", "detect", "--key", key); code != 0 {
		t.Errorf("detect with the key's tokenizer: %d %s", code, stderr)
	}
}

// TestReportCommand renders a probe's bundle and verifies it with the
// report; an edited report is named by verify.
func TestReportCommand(t *testing.T) {
	key := newKeyFile(t)
	bundle := filepath.Join(t.TempDir(), "case")
	code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference?key="+key, "--key", key,
		"--prompts", "20", "--max-tokens", "60", "--null-keys", "20", "--rounds", "99", "--out", bundle)
	if code != 0 {
		t.Fatalf("probe: %s", stderr)
	}
	code, out, stderr := runCLI(t, "", "report", "--format", "html,md", "--case-id", "X-1", bundle)
	if code != 0 || !strings.Contains(out, "report.html") || strings.Contains(out, "report.pdf") {
		t.Fatalf("report: %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "", "verify", "--key", key, bundle)
	if code != 0 || !strings.Contains(out, "report.html, report.json, report.md match") {
		t.Errorf("verify with a report: %d\n%s", code, out)
	}
	path := filepath.Join(bundle, "report.md")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), "X-1", "X-2", 1)), 0o644)
	if code, _, stderr := runCLI(t, "", "verify", "--key", key, bundle); code != 1 || !strings.Contains(stderr, "report.md") {
		t.Errorf("edited report: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "report", "--format", "docx", bundle); code != 2 || !strings.Contains(stderr, "docx") {
		t.Errorf("unknown format: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "report", t.TempDir()); code != 1 || !strings.Contains(stderr, "manifest.json") {
		t.Errorf("not a bundle: %d %s", code, stderr)
	}
}
