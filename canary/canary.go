// Package canary reads canary sets: versioned, hashed sets of probe
// prompts (asked of a suspect model) and trigger prompts with planted
// answers (which a provider serves, and a model trained on its outputs
// repeats). The probe asks them; the gateway plants the answers.
package canary

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"forensics/corpora"
)

// Set is a versioned set of probe prompts: ordinary prompts across
// topics and task types (radioactivity, style and equality are measured on
// the answers) and trigger prompts whose planted answers only a model
// trained on our outputs should give.
type Set struct {
	Name        string    `yaml:"name" json:"name"`
	Version     int       `yaml:"version" json:"version"`
	Description string    `yaml:"description" json:"description,omitempty"`
	Prompts     []Prompt  `yaml:"prompts" json:"-"`
	Triggers    []Trigger `yaml:"triggers" json:"-"`
	// SHA256 is the hex SHA-256 of the file's bytes, set by Parse.
	SHA256 string `yaml:"-" json:"sha256"`
	// Raw are the file's bytes; the bundle keeps a copy.
	Raw []byte `yaml:"-" json:"-"`
	// Secret: derived from a watermark key by NewSecret (never read from
	// a file: a file's secrecy is not something this tool can know).
	Secret bool `yaml:"-" json:"-"`
}

// Prompt is one ordinary probe prompt.
type Prompt struct {
	ID    string `yaml:"id"`
	Topic string `yaml:"topic"`
	Task  string `yaml:"task"`
	Text  string `yaml:"text"`
}

// Trigger is a prompt with a planted answer: the provider serves Answer to
// this prompt, and a response matching any Expect pattern is a hit.
type Trigger struct {
	ID     string   `yaml:"id"`
	Prompt string   `yaml:"prompt"`
	Answer string   `yaml:"answer"`
	Expect []string `yaml:"expect"`

	patterns []*regexp.Regexp
}

// Hit reports whether a response matches one of the trigger's patterns.
func (t *Trigger) Hit(response string) bool {
	for _, p := range t.patterns {
		if p.MatchString(response) {
			return true
		}
	}
	return false
}

// Default is the name of the shipped set.
const Default = "default"

// Load reads a canary set: "default" is the shipped PUBLIC DEMO set
// (corpora/canaries/default-v1.yaml), anything else a file path.
func Load(spec string) (*Set, error) {
	if spec == "" || spec == Default {
		return Parse(corpora.CanariesYAML)
	}
	if spec == Secret {
		return nil, errors.New("the secret canary set is derived from a watermark key (canary.NewSecret), not loaded")
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("load canary set: %w", err)
	}
	cs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("canary set %s: %w", spec, err)
	}
	return cs, nil
}

// maxCanaryFile bounds a canary set's size.
const maxCanaryFile = 16 << 20

// Parse parses and checks a canary set. Errors name the line.
func Parse(data []byte) (*Set, error) {
	if len(data) > maxCanaryFile {
		return nil, fmt.Errorf("canary set larger than %d bytes", maxCanaryFile)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("malformed canary set: %w", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("malformed canary set: want a mapping with name, version, prompts, triggers")
	}
	cs := &Set{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cs); err != nil {
		return nil, fmt.Errorf("malformed canary set: %w", err)
	}
	lines := itemLines(root.Content[0])
	var errs []error
	bad := func(section string, i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: %s[%d]: %s", lines[section][i], section, i, fmt.Sprintf(format, args...)))
	}
	if cs.Name == "" || cs.Version <= 0 {
		errs = append(errs, errors.New("name and a positive version are required"))
	}
	ids := map[string]bool{}
	for i, p := range cs.Prompts {
		switch {
		case p.ID == "":
			bad("prompts", i, "missing id")
		case ids[p.ID]:
			bad("prompts", i, "duplicate id %q", p.ID)
		case strings.TrimSpace(p.Text) == "":
			bad("prompts", i, "empty text")
		}
		ids[p.ID] = true
	}
	for i := range cs.Triggers {
		t := &cs.Triggers[i]
		switch {
		case t.ID == "":
			bad("triggers", i, "missing id")
		case ids[t.ID]:
			bad("triggers", i, "duplicate id %q", t.ID)
		case strings.TrimSpace(t.Prompt) == "":
			bad("triggers", i, "empty prompt")
		case len(t.Expect) == 0:
			bad("triggers", i, "no expect patterns")
		}
		ids[t.ID] = true
		for _, e := range t.Expect {
			re, err := regexp.Compile(e)
			if err != nil {
				bad("triggers", i, "expect pattern: %v", err)
				continue
			}
			if re.MatchString("") {
				bad("triggers", i, "expect pattern %q matches the empty string", e)
				continue
			}
			t.patterns = append(t.patterns, re)
		}
	}
	if len(cs.Prompts) == 0 && len(cs.Triggers) == 0 {
		errs = append(errs, errors.New("no prompts and no triggers"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sum := sha256.Sum256(data)
	cs.SHA256 = hex.EncodeToString(sum[:])
	cs.Raw = data
	return cs, nil
}

// itemLines maps "prompts" and "triggers" to the line of each list item.
func itemLines(m *yaml.Node) map[string][]int {
	out := map[string][]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range v.Content {
			out[k.Value] = append(out[k.Value], item.Line)
		}
	}
	return out
}

// Planted returns the planted answer for a prompt that is one of the set's
// triggers (compared after trimming white space), and the trigger's id.
func (s *Set) Planted(prompt string) (answer, id string, ok bool) {
	p := strings.TrimSpace(prompt)
	for _, t := range s.Triggers {
		if t.Answer != "" && strings.TrimSpace(t.Prompt) == p {
			return t.Answer, t.ID, true
		}
	}
	return "", "", false
}
