package logscan

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestTemplateTextsKept: an account keeps the text of its first few
// templates and of every template used twice, not of later one-offs (and
// so for openings); the counts stay complete, so its top templates have
// the counts they would have with every text kept, and each a text.
func TestTemplateTextsKept(t *testing.T) {
	tax, err := ParseTaxonomy([]byte("topics: {a: [x], b: [y]}"))
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"}
	oneOff := func(i int) string { // a distinct template and opening each
		return fmt.Sprintf("%s %s %s please tell me more about it", words[i%12], words[i/12%12], words[i/144%12])
	}
	for _, c := range []struct {
		name     string
		oneOffs  int
		repeated []int // uses of each repeated template
	}{
		{"one-offs only", 40, nil},
		{"fewer one-offs than kept", 2, nil},
		{"repeated after one-offs", 40, []int{5, 2}},
		{"many repeated", 30, []int{7, 3, 3, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAccount("a", len(tax.Names))
			sc := &scratch{}
			uses := map[uint64]int{}
			add := func(p string) {
				a.addText(at(len(uses)), p, false, &env{tax: tax}, sc)
				sig, _ := templateSignature(p)
				uses[sig]++
			}
			for i := range c.oneOffs {
				add(oneOff(i))
			}
			for k, n := range c.repeated {
				for range n {
					add(fmt.Sprintf("Summarise report number %d of the %s archive for me", k, words[k]))
				}
			}
			for sig, n := range uses {
				_, kept := a.templateText[sig]
				if a.templates[sig] != n || (n > 1 && !kept) {
					t.Errorf("template used %d times: counted %d, text kept %v", n, a.templates[sig], kept)
				}
			}
			if len(a.templateText) != min(textsAlways, c.oneOffs)+len(c.repeated) {
				t.Errorf("%d texts kept, want %d", len(a.templateText), min(textsAlways, c.oneOffs)+len(c.repeated))
			}
			if len(a.prefixText) != len(a.templateText) {
				t.Errorf("%d openings' texts kept, want %d", len(a.prefixText), len(a.templateText))
			}
			var want []int
			for _, n := range uses {
				want = append(want, n)
			}
			sort.Sort(sort.Reverse(sort.IntSlice(want)))
			top := a.topTemplates(3)
			for i, tc := range top {
				if tc.count != want[i] || strings.TrimSpace(tc.text) == "" {
					t.Errorf("top %d: %dx %q, want %d uses and a text", i, tc.count, tc.text, want[i])
				}
			}
		})
	}
}

// at is the i-th minute of November 2026.
func at(i int) time.Time { return time.Date(2026, 11, 1, 0, i, 0, 0, time.UTC) }
