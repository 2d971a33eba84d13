package probe_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"forensics/probe"
)

// A file: target answers from answers collected elsewhere (JSONL lines with
// "prompt" and "response"), with no network and no model: it asks nothing,
// and a planned query its file does not answer gets ErrNoAnswer. The other
// schemes (ollama://, openai://, embedded:) open the same way and are asked
// the same way.
func ExampleOpenTarget() {
	dir, err := os.MkdirTemp("", "probe-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "answers.jsonl")
	lines := `{"prompt":"Tell me of Moscow.","response":"Moscow stands on seven hills."}` + "\n"
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	t, err := probe.OpenTarget("file:"+path, probe.TargetOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := t.Check(ctx); err != nil {
		fmt.Println(err)
		return
	}
	for i, prompt := range []string{"Tell me of Moscow.", "Tell me of Paris."} {
		q := probe.Query{
			ID: fmt.Sprintf("suspect/p%04d/0", i), Role: "suspect",
			PromptID: fmt.Sprintf("p%04d", i), Kind: "prompt", Prompt: prompt,
		}
		ex, err := t.Ask(ctx, q, probe.Sampling{Temperature: 0.8, MaxTokens: 100})
		if errors.Is(err, probe.ErrNoAnswer) {
			fmt.Printf("%s -> no answer in the file\n", prompt)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		text, _, err := probe.ExtractText(ex.Extract, ex.Response)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s -> %s\n", prompt, text)
	}
	// Output:
	// Tell me of Moscow. -> Moscow stands on seven hills.
	// Tell me of Paris. -> no answer in the file
}
