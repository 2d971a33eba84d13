package probe

import (
	"testing"
)

// FuzzParseFileTarget: a transcript file collected elsewhere is outside
// input. Parsing it either fails or gives lines every query lookup and
// the line account can use, with the account adding up.
func FuzzParseFileTarget(f *testing.F) {
	f.Add([]byte(`{"prompt_id":"a","response":"x"}` + "\n" + `{"prompt":"B?","text":"y"}` + "\n"))
	f.Add([]byte(`{"extract":"file","role":"control-1","prompt_id":"a","response":"w"}` + "\n"))
	f.Add([]byte(`{"prompt_id":"a","kind":"trigger","repeat":3,"response":"x"}` + "\n" + `{"prompt_id":"a","kind":"trigger","repeat":3,"response":"x"}`))
	f.Add([]byte("not json\n"))
	qs := []Query{{Role: "suspect", Kind: "prompt", PromptID: "a", Prompt: "A?"}, {Role: "suspect", Kind: "trigger", PromptID: "a", Repeat: 3, Prompt: "B?"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		ft, err := parseFileTarget("file:x", data)
		if err != nil {
			return
		}
		a := ft.account("suspect", qs)
		if a.Used+a.Extra+a.Repeated != a.Lines || a.Used+a.Missing != len(qs) {
			t.Fatalf("account does not add up: %+v", a)
		}
		for _, q := range qs {
			if i := ft.lineFor(q); i >= len(ft.lines) {
				t.Fatalf("line %d of %d", i, len(ft.lines))
			}
		}
	})
}
