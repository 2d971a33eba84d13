package chattemplate

import (
	"context"
	"os/exec"
	"testing"
)

// TestAgreementWithJinja2 compares with Python's Jinja2 configured as
// transformers configures it (testdata/jinja2_reference.py): the engine
// of the servers whose prompts forensics reproduces, where
// @huggingface/jinja is a port. It runs where python3 imports jinja2
// (Debian: apt-get install python3-jinja2) and skips elsewhere.
func TestAgreementWithJinja2(t *testing.T) {
	modules := hfrefModules(t)
	if err := exec.Command("python3", "-c", "import jinja2").Run(); err != nil {
		t.Skipf("python3 with jinja2 not available (%v): apt-get install python3-jinja2", err)
	}
	refs := runReference(t, "python3", "testdata/jinja2_reference.py", modules, "testdata/conversations.json")
	mismatches := compareConversations(t, modules, refs)
	syntax := runReference(t, "python3", "testdata/jinja2_reference.py", modules, "testdata/conversations.json", "testdata/syntax.json")
	cases := loadSyntaxCases(t)
	msgs := multiTurn(t)
	opts := Options{AddGenerationPrompt: true, BOSToken: "<s>", EOSToken: "</s>"}
	for i, c := range cases {
		got, err := renderSource(c.Template, msgs, opts)
		if !agrees(t, syntax[i], got, err) {
			mismatches++
		}
	}
	t.Logf("agreement with Jinja2: %d conversation renderings and %d syntax cases, %d mismatches", len(refs), len(cases), mismatches)
}

func renderSource(src string, msgs []Message, opts Options) (string, error) {
	tm, err := Parse(src)
	if err != nil {
		return "", err
	}
	return tm.Render(context.Background(), msgs, opts)
}
