package chattemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// MaxConfigSize bounds the tokenizer_config.json that ReadConfig and
// ParseConfig accept. Gemma 3's is 1.1 MB (its added_tokens_decoder lists
// six thousand tokens).
const MaxConfigSize = 16 << 20

// Config is what a Hugging Face tokenizer_config.json says about rendering
// chats. A token the file sets to null (or leaves out) is "".
type Config struct {
	// ChatTemplate is the default template ("default" when the file
	// gives a list of named templates); "" when there is none.
	ChatTemplate string
	// Named holds every template of a list form by its name (e.g.
	// "tool_use"); nil when chat_template is a plain string.
	Named map[string]string
	// Special tokens, from a string or an AddedToken object's content.
	BOSToken, EOSToken, PadToken, UnkToken string
}

type rawConfig struct {
	ChatTemplate json.RawMessage `json:"chat_template"`
	BOSToken     json.RawMessage `json:"bos_token"`
	EOSToken     json.RawMessage `json:"eos_token"`
	PadToken     json.RawMessage `json:"pad_token"`
	UnkToken     json.RawMessage `json:"unk_token"`
}

// LoadConfig reads and parses the tokenizer_config.json at path.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer config: %w", err)
	}
	defer f.Close()
	c, err := ReadConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadConfig parses a tokenizer_config.json of at most MaxConfigSize
// bytes from r.
func ReadConfig(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("tokenizer config: %w", err)
	}
	return ParseConfig(data)
}

// ParseConfig parses a tokenizer_config.json. It checks the shapes of the
// fields it reads and ignores the others.
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("tokenizer config larger than %d bytes", MaxConfigSize)
	}
	var raw rawConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("tokenizer config: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("tokenizer config: data after the JSON object")
	}
	c := &Config{}
	var err error
	if c.ChatTemplate, c.Named, err = parseChatTemplate(raw.ChatTemplate); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"bos_token", raw.BOSToken, &c.BOSToken}, {"eos_token", raw.EOSToken, &c.EOSToken},
		{"pad_token", raw.PadToken, &c.PadToken}, {"unk_token", raw.UnkToken, &c.UnkToken}} {
		if *f.dst, err = parseToken(f.raw); err != nil {
			return nil, fmt.Errorf("tokenizer config %s: %w", f.name, err)
		}
	}
	return c, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// parseChatTemplate reads a string or a list of {name, template}.
func parseChatTemplate(raw json.RawMessage) (string, map[string]string, error) {
	if isNull(raw) {
		return "", nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, nil
	}
	var named []struct {
		Name     *string `json:"name"`
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return "", nil, fmt.Errorf("tokenizer config chat_template: neither a string nor a list of {name, template}: %w", err)
	}
	m := make(map[string]string, len(named))
	for i, n := range named {
		if n.Name == nil || n.Template == nil {
			return "", nil, fmt.Errorf("tokenizer config chat_template[%d]: missing name or template", i)
		}
		if _, dup := m[*n.Name]; dup {
			return "", nil, fmt.Errorf("tokenizer config chat_template: %q named twice", *n.Name)
		}
		m[*n.Name] = *n.Template
	}
	return m["default"], m, nil
}

// parseToken reads a token given as a string or as an AddedToken object.
func parseToken(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == nil {
		return "", fmt.Errorf("neither a string nor an object with a string content")
	}
	return *obj.Content, nil
}

// Template parses the named template ("" for the default one).
func (c *Config) Template(name string) (*Template, error) {
	src := c.ChatTemplate
	if name != "" {
		var ok bool
		if src, ok = c.Named[name]; !ok {
			return nil, fmt.Errorf("no chat template named %q (have: %s)", name, strings.Join(c.Names(), ", "))
		}
	}
	if src == "" {
		return nil, fmt.Errorf("tokenizer config has no chat template")
	}
	return Parse(src)
}

// Names lists the named templates, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Named))
	for n := range c.Named {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Options returns rendering options carrying the config's special tokens.
func (c *Config) Options(addGenerationPrompt bool) Options {
	return Options{AddGenerationPrompt: addGenerationPrompt, BOSToken: c.BOSToken,
		EOSToken: c.EOSToken, PadToken: c.PadToken, UnkToken: c.UnkToken}
}
