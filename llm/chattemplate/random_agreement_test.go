package chattemplate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fragments are what random conversations are made of: edges that
// templates trim or split on, markup of every reference model, Jinja
// syntax, quotes, and several scripts. U+001C..U+001F and U+FEFF are left
// out: Python and JavaScript disagree whether they are whitespace
// (testdata/syntax.json's python_whitespace case covers them).
var fragments = []string{
	"hello", "world", "世界", "🙂", "e\u0301", "مرحبا", " ", "  ", "\n", "\n\n", "\t", "\u3000", "\u00a0",
	"<think>", "</think>", "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<start_of_turn>", "<｜Assistant｜>",
	"{{ x }}", "{%", "%}", "{#", "#}", "'", "\"", "\\", "\\n", "<tool_response>", "</tool_response>",
	strings.Repeat("long ", 50),
}

func randomText(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(9) {
		b.WriteString(fragments[rng.IntN(len(fragments))])
	}
	return b.String()
}

// randomConversations writes n seeded conversations in
// testdata/conversations.json's format: an optional system message, then
// alternating user and assistant turns (sometimes ending with the
// assistant), sometimes with a role out of turn.
func randomConversations(t *testing.T, n int) string {
	rng := rand.New(rand.NewPCG(18, 2026))
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	type conv struct {
		Name     string `json:"name"`
		Messages []msg  `json:"messages"`
	}
	convs := make([]conv, n)
	for i := range convs {
		c := conv{Name: fmt.Sprintf("random-%d", i)}
		if rng.IntN(2) == 0 {
			c.Messages = append(c.Messages, msg{"system", randomText(rng)})
		}
		for turn := range 1 + rng.IntN(6) {
			role := []string{"user", "assistant"}[turn%2]
			if rng.IntN(20) == 0 {
				role = []string{"user", "assistant", "system"}[rng.IntN(3)]
			}
			c.Messages = append(c.Messages, msg{role, randomText(rng)})
		}
		convs[i] = c
	}
	data, err := json.Marshal(convs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "random.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAgreementRandomConversations renders 300 seeded random
// conversations with the four reference templates, with and without the
// generation prompt, through Jinja2 (the oracle: every rendering must
// agree) and @huggingface/jinja (where it differs from us, Jinja2 must
// side with us: the port's str.lstrip('\n') strips every kind of
// whitespace, so Qwen3's last turn loses leading spaces there). It needs
// python3 with jinja2 and skips without it.
func TestAgreementRandomConversations(t *testing.T) {
	modules := hfrefModules(t)
	if err := exec.Command("python3", "-c", "import jinja2").Run(); err != nil {
		t.Skipf("python3 with jinja2 not available (%v): the oracle for the random conversations", err)
	}
	path := randomConversations(t, 300)
	py := runReference(t, "python3", "testdata/jinja2_reference.py", modules, path)
	js := runReference(t, "node", "testdata/reference.mjs", modules, path)
	if len(py) != len(js) {
		t.Fatalf("Jinja2 rendered %d, @huggingface/jinja %d", len(py), len(js))
	}
	ours := renderLike(t, modules, py, path)
	pyMismatches, raised, jsDepartures := 0, 0, map[string]int{}
	for i, r := range ours {
		if !agrees(t, py[i], r.out, r.err) {
			pyMismatches++
			continue
		}
		if why := disagreement(js[i], r.out, r.err); why != "" {
			jsDepartures[js[i].Model]++
			if os.Getenv("CHATTEMPLATE_SHOW_JS") != "" {
				t.Logf("@huggingface/jinja %s / %s: %s", js[i].Model, js[i].Conversation, why)
			}
		}
		if r.err != nil {
			raised++
		}
	}
	t.Logf("random conversations: %d renderings (%d raising in both); Jinja2: %d mismatches; @huggingface/jinja departs (Jinja2 agreeing with us) on %v",
		len(py), raised, pyMismatches, jsDepartures)
}
