package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/watermark/engine"
	"forensics/watermark/vllm"
)

// engineIDs writes n token ids carrying an engine key's watermark: at
// each step the token is picked by the scheme among 8 random candidates
// of a 50,000-token vocabulary (red-green: a green one if any; Gumbel: the
// largest uniform), a stand-in for the engine's sampler with equally
// likely candidates.
func engineIDs(t *testing.T, keyPath string, n int, seed uint64) []int64 {
	t.Helper()
	k, err := engine.LoadKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	prf := k.NewPRF()
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []int64
	for len(out) < n {
		ctx := make([]int64, k.ContextWidth)
		for i := range ctx {
			ctx[i] = -1
			if j := len(out) - k.ContextWidth + i; j >= 0 {
				ctx[i] = out[j]
			}
		}
		best, pick := float32(-1), int64(0)
		for range 8 {
			c := int64(rng.IntN(50000))
			u := prf.UniformOf(ctx, c)
			if k.Scheme == engine.SchemeRedGreen && vllm.Green(u, k.Gamma) {
				pick = c
				break
			}
			if u > best {
				best, pick = u, c
			}
		}
		out = append(out, pick)
	}
	return out
}

// fixedEngineKey writes an engine key with a fixed integer (imported, as
// an engine's existing key is), so that the tests' statistics do not
// depend on a random key's luck.
func fixedEngineKey(t *testing.T, dir, scheme string) string {
	t.Helper()
	secret := filepath.Join(dir, scheme+"-secret.txt")
	if err := os.WriteFile(secret, []byte("1234567890123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, scheme+"-fixed.yaml")
	if code, _, errOut := runCLI(t, "", "keygen", "--scheme", scheme, "--import", secret, "--out", key); code != 0 {
		t.Fatalf("keygen --import: %s", errOut)
	}
	return key
}

func idsText(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func TestEngineKeygenDetect(t *testing.T) {
	dir := t.TempDir()
	for _, scheme := range []string{"vllm-gumbel", "vllm-red-green"} {
		key := filepath.Join(dir, scheme+".yaml")
		cfg := filepath.Join(dir, scheme+".json")
		code, out, errOut := runCLI(t, "", "keygen", "--scheme", scheme, "--out", key, "--engine-config-out", cfg)
		if code != 0 || !strings.Contains(out, "commitment sha256:") {
			t.Fatalf("keygen %s: %d %s %s", scheme, code, out, errOut)
		}
		if st, err := os.Stat(cfg); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("engine config: %v %v", st, err)
		}
		ids := engineIDs(t, key, 150, 7)
		code, out, _ = runCLI(t, idsText(ids), "detect", "--key", key, "--ids", "--json")
		var res struct {
			Scheme      string  `json:"scheme"`
			Scored      int     `json:"scored"`
			Log10P      float64 `json:"log10_p"`
			Watermarked bool    `json:"watermarked"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
			t.Fatalf("detect %s: %d %v %s", scheme, code, err, out)
		}
		if res.Scheme != scheme || res.Scored != 150 || !res.Watermarked || res.Log10P > -6 {
			t.Errorf("detect %s on its own ids: %+v", scheme, res)
		}
		// Imported from the engine's config, the same key finds the same.
		imported := filepath.Join(dir, scheme+"-imported.yaml")
		if code, _, errOut := runCLI(t, "", "keygen", "--scheme", scheme, "--import", cfg, "--out", imported); code != 0 {
			t.Fatalf("import: %s", errOut)
		}
		_, out2, _ := runCLI(t, idsText(ids), "detect", "--key", imported, "--ids", "--json")
		var res2 struct {
			Log10P float64 `json:"log10_p"`
		}
		if json.Unmarshal([]byte(out2), &res2) != nil || res2.Log10P != res.Log10P {
			t.Errorf("the imported key gives log10 p %v, the original %v", res2.Log10P, res.Log10P)
		}
	}
}

func TestEngineDetectRefuses(t *testing.T) {
	dir := t.TempDir()
	eng := filepath.Join(dir, "e.yaml")
	if code, _, errOut := runCLI(t, "", "keygen", "--scheme", "vllm-gumbel", "--out", eng); code != 0 {
		t.Fatal(errOut)
	}
	own := newKeyFile(t)
	weak := filepath.Join(dir, "weak.json")
	if err := os.WriteFile(weak, []byte(`{"key": 42, "algorithm": "gumbel"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(dir, "dup.jsonl")
	if err := os.WriteFile(dup, []byte("{\"prompt\": \"Tell me.\", \"text\": \"A story.\"}\n{\"prompt\": \" tell  ME. \", \"text\": \"Another.\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noPrompt := filepath.Join(dir, "noprompt.jsonl")
	if err := os.WriteFile(noPrompt, []byte("{\"text\": \"A story.\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"mixed families", "text", []string{"detect", "--key", own, "--key", eng}, "not both"},
		{"ids for our key", "[1,2]", []string{"detect", "--key", own, "--ids"}, "--ids is for engine schemes"},
		{"bad id", "[1, -2]", []string{"detect", "--key", eng, "--ids"}, "token id 2 is not an integer"},
		{"no ids", "[]", []string{"detect", "--key", eng, "--ids"}, "no token ids"},
		{"windows", "x", []string{"detect", "--key", eng, "--windows"}, "not available for engine schemes"},
		{"words tokenizer", "some text", []string{"detect", "--key", eng, "--tokenizer", "words-v1"}, "gives no token ids"},
		{"weak import", "", []string{"keygen", "--scheme", "vllm-gumbel", "--import", weak, "--out", filepath.Join(dir, "w.yaml")}, "guessable"},
		{"one prompt asked twice", "", []string{"radioactivity", "--key", eng, "--suspect", dup}, "answer the same prompt"},
		{"answer without prompt", "", []string{"radioactivity", "--key", eng, "--suspect", noPrompt}, "no prompt"},
		{"prompt field of the other mode", "", []string{"radioactivity", "--key", eng, "--ids", "--suspect", dup}, "not one of"},
		{"radioactivity with our key", "", []string{"radioactivity", "--key", own, "--suspect", eng}, "forensics probe"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, c.stdin, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q; want %q", c.name, code, errOut, c.want)
		}
	}
}

// TestRadioactivityCommand: a suspect whose answers carry the engine
// watermark is supported, an independent one is not, and a control
// carrying it withholds the verdict.
func TestRadioactivityCommand(t *testing.T) {
	dir := t.TempDir()
	key := fixedEngineKey(t, dir, "vllm-red-green")
	write := func(name string, watermarked bool) string {
		var b strings.Builder
		for i := range 20 {
			ids := engineIDs(t, key, 40, uint64(i)+100)
			if !watermarked {
				r := rand.New(rand.NewPCG(uint64(i), 9))
				for j := range ids {
					ids[j] = int64(r.IntN(50000))
				}
			}
			fmt.Fprintf(&b, `{"prompt_ids": [%d, 5, 6], "ids": %s}`+"\n", i, idsText(ids))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	marked, clean := write("marked.jsonl", true), write("clean.jsonl", false)
	status := func(args ...string) string {
		code, out, errOut := runCLI(t, "", append([]string{"radioactivity", "--key", key, "--ids", "--null-keys", "40", "--json"}, args...)...)
		var r engine.Radioactivity
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("radioactivity %v: %d %s", args, code, errOut)
		}
		return r.Status
	}
	if s := status("--suspect", marked, "--control", clean); s != engine.StatusSupported {
		t.Errorf("watermarked suspect: %s", s)
	}
	if s := status("--suspect", clean); s != engine.StatusNotRejected {
		t.Errorf("independent suspect: %s", s)
	}
	if s := status("--suspect", marked, "--control", marked); s != engine.StatusWithheld {
		t.Errorf("watermarked control: %s", s)
	}
	_, out, _ := runCLI(t, "", "radioactivity", "--key", key, "--ids", "--null-keys", "40", "--suspect", clean)
	if !strings.Contains(out, "not evidence that the suspect is independent") {
		t.Errorf("a non-rejection must not read as clean:\n%s", out)
	}
}

// TestEngineDetectConversations: with --chat-template only the assistant
// messages are scored: a conversation whose assistant wrote watermarked
// text is flagged, one whose user turns carry it (an echo of our text in
// the prompt) and whose assistant does not is not.
func TestEngineDetectConversations(t *testing.T) {
	dir := t.TempDir()
	key := fixedEngineKey(t, dir, "vllm-gumbel")
	cfg := filepath.Join(dir, "tokenizer_config.json")
	tpl := `{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}`
	b, _ := json.Marshal(map[string]any{"chat_template": tpl, "eos_token": "<|end|>"})
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	marked := embeddedEngineText(t, key, 120, 3)
	plain := "The rain had stopped by the time they reached the harbour, and the boats lay still."
	conv := func(user, assistant string) string {
		b, _ := json.Marshal(map[string]any{"messages": []map[string]string{
			{"role": "system", "content": "You are helpful."}, {"role": "user", "content": user}, {"role": "assistant", "content": assistant}}})
		return string(b) + "\n"
	}
	// An echo bot: the user pastes our text re-wrapped, or with an
	// instruction before it, and the assistant returns it (a review found
	// these flagged at log10 p −30 when only exact prompt tuples were left
	// out).
	wrapped := rewrap(marked, 8)
	input := conv("Tell me a story.", marked) + conv(marked, plain) +
		conv("Please unwrap this text:\n\n"+wrapped, marked) + conv("Please fix any typos in this:\n\n"+marked, "Here it is: "+marked)
	code, out, errOut := runCLI(t, input, "detect", "--key", key, "--chat-template", cfg, "--jsonl", "--json")
	if code != 0 {
		t.Fatalf("detect: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 lines, got %q", out)
	}
	for i, want := range []bool{true, false, false, false} {
		var r struct {
			Watermarked bool    `json:"watermarked"`
			Log10P      float64 `json:"log10_p"`
			Error       string  `json:"error"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &r); err != nil || r.Error != "" || r.Watermarked != want {
			t.Errorf("conversation %d: %+v (%v), want watermarked %v", i+1, r, err, want)
		}
	}
}

// rewrap puts a newline in place of every n-th space.
func rewrap(text string, n int) string {
	words := strings.Split(text, " ")
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			if i%n == 0 {
				b.WriteString("\n")
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(w)
	}
	return b.String()
}

// embeddedEngineText is text vLLM's sampler writes with an engine key on
// the embedded model, decoded.
func embeddedEngineText(t *testing.T, keyPath string, n int, seed uint64) string {
	t.Helper()
	k, err := engine.LoadKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	vocab := m.Tokenizer().(*tokenizer.Vocab)
	prompt, _ := vocab.Encode("Tell me a story.")
	eng := vllm.Engine{Watermarker: vllm.Gumbel{PRF: k.NewPRF(), Width: k.ContextWidth}, Temperature: 1, Dedup: true, Ban: []int32{m.EOS()}}
	var b strings.Builder
	for _, id := range eng.Generate(m, prompt, n, vllm.SoftmaxSampler(rand.New(rand.NewPCG(seed, 5)))) {
		b.WriteString(vocab.Piece(int32(id)))
	}
	return b.String()
}
