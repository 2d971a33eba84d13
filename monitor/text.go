package monitor

import (
	"fmt"
	"hash/fnv"
	"math/bits"
	"sort"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// words splits a prompt into lower-case word tokens.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// templateSignature masks what varies between instances of one prompt
// template (numbers, quoted words, capitalised words after the first) and
// hashes the first 8 masked tokens with the prompt's length bucket: the
// cheap core of Drain-style template mining (He et al., ICWS 2017), enough
// to see one template repeated with different fillers.
func templateSignature(prompt string) (uint64, string) {
	fields := strings.Fields(prompt)
	masked := make([]string, 0, 8)
	for i, f := range fields {
		if len(masked) == 8 {
			break
		}
		r := []rune(f)
		switch {
		case strings.ContainsRune("\"'“‘«", r[0]):
			masked = append(masked, "<S>")
		case strings.IndexFunc(f, unicode.IsDigit) >= 0:
			masked = append(masked, "<N>")
		case i > 0 && unicode.IsUpper(r[0]):
			masked = append(masked, "<W>")
		default:
			masked = append(masked, strings.ToLower(strings.Trim(f, ".,;:!?")))
		}
	}
	tmpl := strings.Join(masked, " ")
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", tmpl, lengthBucket(len(fields)))
	return h.Sum64(), tmpl
}

func lengthBucket(n int) int {
	return bits.Len(uint(n)) // 1, 2-3, 4-7, 8-15, …
}

// simhash is Charikar's SimHash (2002) of the prompt's word 3-shingles:
// near-duplicate prompts get hashes a few bits apart.
func simhash(ws []string) uint64 {
	if len(ws) == 0 {
		return 0
	}
	var acc [64]int
	add := func(parts ...string) {
		// FNV-1a over the words with a space between, without building
		// the shingle string.
		x := uint64(14695981039346656037)
		for k, p := range parts {
			if k > 0 {
				x ^= ' '
				x *= 1099511628211
			}
			for i := 0; i < len(p); i++ {
				x ^= uint64(p[i])
				x *= 1099511628211
			}
		}
		for i := range acc {
			acc[i] += int(x>>uint(i)&1)*2 - 1
		}
	}
	if len(ws) < 3 {
		add(ws...)
	}
	for i := 0; i+3 <= len(ws); i++ {
		add(ws[i], ws[i+1], ws[i+2])
	}
	var out uint64
	for i, v := range acc {
		if v > 0 {
			out |= 1 << uint(i)
		}
	}
	return out
}

// Taxonomy maps words to topics.
type Taxonomy struct {
	Names    []string
	exact    map[string][]int
	prefixes []prefixTopic
}

type prefixTopic struct {
	prefix string
	topic  int
}

// ParseTaxonomy reads a topics YAML ({topics: {name: [keyword, …]}}; a
// keyword ending in * matches word prefixes).
func ParseTaxonomy(data []byte) (*Taxonomy, error) {
	var doc struct {
		Topics map[string][]string `yaml:"topics"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("topic taxonomy: %w", err)
	}
	if len(doc.Topics) < 2 {
		return nil, fmt.Errorf("topic taxonomy: %d topics; coverage needs several", len(doc.Topics))
	}
	t := &Taxonomy{exact: map[string][]int{}}
	for name := range doc.Topics {
		t.Names = append(t.Names, name)
	}
	sort.Strings(t.Names)
	for i, name := range t.Names {
		for _, kw := range doc.Topics[name] {
			kw = strings.ToLower(strings.TrimSpace(kw))
			if p, ok := strings.CutSuffix(kw, "*"); ok {
				t.prefixes = append(t.prefixes, prefixTopic{p, i})
			} else {
				t.exact[kw] = append(t.exact[kw], i)
			}
		}
	}
	return t, nil
}

// Topics returns the topics a prompt's words touch (each once).
func (t *Taxonomy) Topics(ws []string, into []bool) []bool {
	into = into[:0]
	for range t.Names {
		into = append(into, false)
	}
	for _, w := range ws {
		for _, i := range t.exact[w] {
			into[i] = true
		}
		for _, p := range t.prefixes {
			if strings.HasPrefix(w, p.prefix) {
				into[p.topic] = true
			}
		}
	}
	return into
}
