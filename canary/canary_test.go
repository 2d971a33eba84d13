package canary

import (
	"strings"
	"testing"
)

func TestShippedCanarySet(t *testing.T) {
	cs, err := Load(Default)
	if err != nil {
		t.Fatal(err)
	}
	topics, tasks := map[string]bool{}, map[string]bool{}
	for _, p := range cs.Prompts {
		topics[p.Topic] = true
		tasks[p.Task] = true
	}
	if len(cs.Prompts) < 500 || len(topics) < 20 || len(tasks) < 12 || len(cs.Triggers) < 40 {
		t.Errorf("%d prompts over %d topics and %d tasks, %d triggers", len(cs.Prompts), len(topics), len(tasks), len(cs.Triggers))
	}
	for _, tr := range cs.Triggers {
		if !tr.Hit(tr.Answer) {
			t.Errorf("trigger %s: its planted answer does not match its pattern", tr.ID)
		}
		for _, other := range cs.Triggers {
			if other.ID != tr.ID && tr.Hit(other.Answer) {
				t.Errorf("trigger %s matches the answer of %s", tr.ID, other.ID)
			}
		}
	}
	if len(cs.SHA256) != 64 {
		t.Errorf("sha256 %q", cs.SHA256)
	}
}

func TestParseCanariesErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"not yaml", "name: [", []string{"malformed"}},
		{"list", "- a\n- b\n", []string{"want a mapping"}},
		{"unknown field", "name: x\nversion: 1\ncolour: red\nprompts: [{id: a, text: hi}]\n", []string{"colour", "line 3"}},
		{"no version", "name: x\nprompts: [{id: a, text: hi}]\n", []string{"positive version"}},
		{"empty", "name: x\nversion: 1\n", []string{"no prompts"}},
		{"duplicates and blanks", "name: x\nversion: 1\nprompts:\n  - {id: a, text: hi}\n  - {id: a, text: again}\n  - {id: b, text: \" \"}\n",
			[]string{"line 5: prompts[1]: duplicate id \"a\"", "line 6: prompts[2]: empty text"}},
		{"bad triggers", "name: x\nversion: 1\ntriggers:\n  - {id: t, prompt: p}\n  - {id: u, prompt: p, expect: [\"(\"]}\n  - {id: v, prompt: p, expect: [\"x*\"]}\n",
			[]string{"line 4: triggers[0]: no expect patterns", "line 5: triggers[1]: expect pattern", "line 6: triggers[2]: expect pattern \"x*\" matches the empty string"}},
	} {
		_, err := Parse([]byte(c.yaml))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("name: x\nversion: 1\nprompts: [{id: a, text: hi}]\ntriggers: [{id: t, prompt: p, answer: q, expect: [q]}]\n"))
	f.Add([]byte("name: x\nversion: 1\nprompts:\n  - {id: a, text: hi}\n  - {id: a, text: hi}\n"))
	f.Add([]byte("&a [*a, *a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := Parse(data)
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, p := range cs.Prompts {
			if p.ID == "" || ids[p.ID] || strings.TrimSpace(p.Text) == "" {
				t.Fatalf("accepted bad prompt %+v", p)
			}
			ids[p.ID] = true
		}
		for _, tr := range cs.Triggers {
			if tr.ID == "" || ids[tr.ID] || len(tr.patterns) != len(tr.Expect) || tr.Hit("") {
				t.Fatalf("accepted bad trigger %+v", tr)
			}
			ids[tr.ID] = true
		}
	})
}
