package traffic

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"forensics/corpora"
)

// A Topic is one subject of the scanner's taxonomy (corpora/topics.yaml)
// and its whole-word keywords, in the file's order.
type Topic struct {
	Name  string
	Words []string
	// keywords are the words as the scanner reads them (lower case), in
	// byte order: the simulator draws from these.
	keywords []string
}

// loadTopics reads the taxonomy's topics, sorted by name as the scanner
// numbers them; keywords that match prefixes ("invest*") are left out.
func loadTopics() ([]Topic, error) {
	var doc struct {
		Topics map[string][]string `yaml:"topics"`
	}
	if err := yaml.Unmarshal(corpora.TopicsYAML, &doc); err != nil {
		return nil, fmt.Errorf("topics: %w", err)
	}
	var topics []Topic
	for name, ws := range doc.Topics {
		t := Topic{Name: name}
		for _, w := range ws {
			if !strings.HasSuffix(w, "*") {
				t.Words = append(t.Words, w)
			}
			if kw := strings.ToLower(strings.TrimSpace(w)); !strings.HasSuffix(kw, "*") {
				t.keywords = append(t.keywords, kw)
			}
		}
		sort.Strings(t.keywords)
		topics = append(topics, t)
	}
	sort.Slice(topics, func(i, j int) bool { return topics[i].Name < topics[j].Name })
	return topics, nil
}
