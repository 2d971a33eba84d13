package logscan

import (
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// wordsOfLower splits an already lower-cased prompt into word tokens,
// appending to dst[:0] (so a caller can reuse the slice).
func wordsOfLower(lower string, dst []string) []string {
	dst = dst[:0]
	start := -1
	for i, r := range lower {
		word := r == '\'' || (r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z')) ||
			(r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			dst = append(dst, lower[start:i])
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, lower[start:])
	}
	return dst
}

// fnvString is the 64-bit FNV-1a hash of s, without hash/fnv's
// allocation.
func fnvString(s string) uint64 {
	x := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= 1099511628211
	}
	return x
}

// fnvWords is FNV-1a of the words joined by single spaces.
func fnvWords(ws []string) uint64 {
	x := uint64(14695981039346656037)
	for k, w := range ws {
		if k > 0 {
			x ^= ' '
			x *= 1099511628211
		}
		for i := 0; i < len(w); i++ {
			x ^= uint64(w[i])
			x *= 1099511628211
		}
	}
	return x
}

// templateSignature masks what varies between instances of one prompt
// template (numbers, quoted words, capitalised words after the first) and
// hashes the first 8 masked tokens with the prompt's length bucket: the
// cheap core of Drain-style template mining (He et al., ICWS 2017), enough
// to see one template repeated with different fillers.
func templateSignature(prompt string) (uint64, string) {
	sig, tmpl := templateSig(prompt, nil)
	return sig, string(tmpl)
}

// templateSig is templateSignature writing the template into buf[:0].
func templateSig(prompt string, buf []byte) (uint64, []byte) {
	buf = buf[:0]
	masked, fields := 0, 0
	for f := range strings.FieldsSeq(prompt) {
		fields++
		if masked == 8 {
			continue
		}
		if masked > 0 {
			buf = append(buf, ' ')
		}
		r, _ := utf8.DecodeRuneInString(f)
		switch {
		case strings.ContainsRune("\"'“‘«", r):
			buf = append(buf, "<S>"...)
		case strings.IndexFunc(f, unicode.IsDigit) >= 0:
			buf = append(buf, "<N>"...)
		case fields > 1 && unicode.IsUpper(r):
			buf = append(buf, "<W>"...)
		default:
			buf = append(buf, strings.ToLower(strings.Trim(f, ".,;:!?"))...)
		}
		masked++
	}
	// FNV-1a of "template|bucket", as fmt.Fprintf(h, "%s|%d") wrote it.
	x := uint64(14695981039346656037)
	for _, c := range buf {
		x ^= uint64(c)
		x *= 1099511628211
	}
	var num [24]byte
	for _, c := range strconv.AppendInt(append(num[:0], '|'), int64(lengthBucket(fields)), 10) {
		x ^= uint64(c)
		x *= 1099511628211
	}
	return x, buf
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
	// Each shingle hash votes on 64 bits. The votes are counted eight bits
	// at a time: spreadByte[v] puts bit j of byte v into byte lane j of a
	// word, so one table lookup and one add count eight bits at once. A
	// lane holds up to 255 votes; the lanes are emptied into ones[] before
	// they could overflow.
	var ones [64]int
	var acc [8]uint64
	pending, total := 0, 0
	flush := func() {
		for k := range acc {
			for j := range 8 {
				ones[8*k+j] += int(acc[k] >> (8 * uint(j)) & 0xff)
			}
			acc[k] = 0
		}
		pending = 0
	}
	add := func(parts []string) {
		x := fnvWords(parts) // the shingle's hash, without building it
		for k := range acc {
			acc[k] += spreadByte[byte(x>>(8*uint(k)))]
		}
		total++
		if pending++; pending == 255 {
			flush()
		}
	}
	if len(ws) < 3 {
		add(ws)
	}
	for i := 0; i+3 <= len(ws); i++ {
		add(ws[i : i+3])
	}
	flush()
	var out uint64
	for i, v := range ones {
		if 2*v > total { // more +1 votes than −1
			out |= 1 << uint(i)
		}
	}
	return out
}

// spreadByte[v] has byte lane j equal to bit j of v.
var spreadByte = func() (t [256]uint64) {
	for v := range 256 {
		for j := range 8 {
			t[v] |= uint64(v>>uint(j)&1) << (8 * uint(j))
		}
	}
	return
}()

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
