package probe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileTargetKeepsEveryAnswer is the chain-of-custody bug of issue 14:
// plain {prompt_id, response} lines of equal length all came back as the
// last line's text, because each answer kept a slice of the reader's
// reused buffer.
func TestFileTargetKeepsEveryAnswer(t *testing.T) {
	var b strings.Builder
	for i := range 5 {
		fmt.Fprintf(&b, `{"prompt_id":"p%04d","response":"answer number %d"}`+"\n", i+1, i)
	}
	path := filepath.Join(t.TempDir(), "answers.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := OpenTarget("file:"+path, TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ex, err := tg.Ask(context.Background(), Query{Kind: "prompt", PromptID: fmt.Sprintf("p%04d", i+1)}, Sampling{})
		if err != nil {
			t.Fatal(err)
		}
		text, _, err := ExtractText(ex.Extract, ex.Response)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("answer number %d", i); text != want {
			t.Errorf("p%04d: answer %q, want %q", i+1, text, want)
		}
	}
}

// TestFileTargetAccount counts what became of every line: answers to
// planned queries, extras, repeats and gaps; only an exact file can
// support a proposition.
func TestFileTargetAccount(t *testing.T) {
	qs := []Query{
		{Role: "suspect", Kind: "prompt", PromptID: "a", Prompt: "A?"},
		{Role: "suspect", Kind: "prompt", PromptID: "b", Prompt: "B?"},
		{Role: "suspect", Kind: "trigger", PromptID: "t", Prompt: "T?"},
		{Role: "control-1", Kind: "prompt", PromptID: "a", Prompt: "A?"},
	}
	line := func(id, kind, text string) string {
		return fmt.Sprintf(`{"prompt_id":%q,"kind":%q,"response":%q}`, id, kind, text) + "\n"
	}
	cases := []struct {
		name                           string
		file                           string
		used, extra, repeated, missing int
		exact                          bool
	}{
		{"exact", line("a", "", "x") + line("b", "prompt", "y") + line("t", "trigger", "z"), 3, 0, 0, 0, true},
		{"extra", line("a", "", "x") + line("b", "", "y") + line("t", "trigger", "z") + line("c", "", "w"), 3, 1, 0, 0, false},
		{"repeated", line("a", "", "x") + line("a", "", "x2") + line("b", "", "y") + line("t", "trigger", "z"), 3, 0, 1, 0, false},
		{"gap", line("a", "", "x") + line("t", "trigger", "z"), 2, 0, 0, 1, false},
		// Candidates disguised as other roles' or failed records of our
		// own transcript format (found by review): counted, not exact.
		{"hidden candidates", line("a", "", "x") + line("b", "", "y") + line("t", "trigger", "z") +
			`{"extract":"file","role":"control-1","prompt_id":"a","response":"w"}` + "\n" + `{"extract":"file","role":"suspect","error":"timeout","response":"w"}` + "\n", 3, 0, 0, 0, false},
		{"by prompt text", `{"prompt":"A?","response":"x"}` + "\n" + `{"prompt":"B?","response":"y"}` + "\n" + `{"prompt":"T?","response":"z"}` + "\n" + `{"prompt":"Q?","response":"q"}` + "\n", 3, 1, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft, err := parseFileTarget("file:x", []byte(c.file))
			if err != nil {
				t.Fatal(err)
			}
			a := ft.account("suspect", qs)
			if c.name == "hidden candidates" && a.Other != 2 {
				t.Errorf("other lines %d, want 2", a.Other)
			}
			if a.Used != c.used || a.Extra != c.extra || a.Repeated != c.repeated || a.Missing != c.missing || a.Exact != c.exact {
				t.Errorf("got used %d extra %d repeated %d missing %d exact %v; want %d %d %d %d", a.Used, a.Extra, a.Repeated, a.Missing, a.Exact, c.used, c.extra, c.repeated, c.missing)
			}
			if !strings.Contains(a.Note, "completeness not verified") {
				t.Errorf("note %q does not say the file was collected elsewhere", a.Note)
			}
		})
	}
}
