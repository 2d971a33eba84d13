package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the gateway's YAML configuration (see serve.example.yaml).
type Config struct {
	Listen  string        `yaml:"listen"`
	Backend BackendConfig `yaml:"backend"`
	// Models clients may ask for; empty means every model of the backend,
	// watermarked.
	Models []ModelConfig `yaml:"models"`
	// Keys maps names to watermark key files (paths relative to the
	// config file).
	Keys     map[string]string `yaml:"keys"`
	Accounts []AccountConfig   `yaml:"accounts"`
	// Defaults apply to accounts that do not set their own.
	Defaults struct {
		Key    string `yaml:"key"`
		Limits Limits `yaml:"limits"`
	} `yaml:"defaults"`
	Log      LogConfig `yaml:"log"`
	Requests struct {
		MaxBodyBytes int64 `yaml:"max_body_bytes"`
		MaxTokens    int   `yaml:"max_tokens"`
		// DefaultTokens applies when a request sets no limit.
		DefaultTokens int `yaml:"default_tokens"`
	} `yaml:"requests"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// AdminAPIKeys (hashed) may call /admin/ endpoints.
	AdminAPIKeys []string `yaml:"admin_api_keys"`
	// RateLimits are the risk-adaptive limits the gateway applies by
	// itself, request by request, from its own traffic.
	RateLimits *RateLimits `yaml:"rate_limits"`
	// Risk runs the log scanner on the gateway's own traffic.
	Risk RiskConfig `yaml:"risk"`
	// Canaries plants answers: a prompt that is one of the set's triggers
	// is answered with its planted answer ("default" is the shipped set,
	// anything else a canary file relative to the config).
	Canaries string `yaml:"canaries"`

	dir string // folder of the config file, for relative paths
}

// BackendConfig chooses what generates the text.
type BackendConfig struct {
	Kind string `yaml:"kind"` // embedded (default) or ollama
	// URL of the Ollama server, OLLAMA_HOST style (host:port or URL).
	URL     string   `yaml:"url"`
	Timeout Duration `yaml:"timeout"`
	// ChunkTokens is how many tokens each Ollama request asks for when
	// streams are not cancelled (default 3); see llm/ollama.
	ChunkTokens int `yaml:"chunk_tokens"`
	// CancelStreams closes an Ollama stream as soon as a draft is
	// rejected. Unsafe with Ollama v0.17.4 (see llm/ollama.Client.Cancel).
	CancelStreams bool `yaml:"cancel_streams"`
}

// ModelConfig exposes one backend model under a name.
type ModelConfig struct {
	Name     string `yaml:"name"`
	Upstream string `yaml:"upstream"` // the backend's name for it (default: Name)
	// Watermark off serves this model without a watermark (internal use).
	Watermark *bool `yaml:"watermark"`
}

// AccountConfig is one customer.
type AccountConfig struct {
	Name string `yaml:"name"`
	// APIKeys are "sha256:" and the hex SHA-256 of each API key; the keys
	// themselves are never stored (`forensics serve apikey` makes one).
	APIKeys []string `yaml:"api_keys"`
	// Key names the watermark key applied to this account's responses.
	Key string `yaml:"key"`
	// Watermark off serves this account without a watermark.
	Watermark *bool `yaml:"watermark"`
	// Payload is the account's multi-bit payload (reserved; logged).
	Payload string  `yaml:"payload"`
	Limits  *Limits `yaml:"limits"`
}

// Limits are an account's quotas; 0 means unlimited.
type Limits struct {
	RequestsPerHour int `yaml:"requests_per_hour" json:"requests_per_hour"`
	TokensPerDay    int `yaml:"tokens_per_day" json:"tokens_per_day"`
	Concurrent      int `yaml:"concurrent" json:"concurrent"`
}

// RateLimits is the per-account rule shape for risk-adaptive limits:
// requests_per_hour is the default hourly limit; an account that touches
// more than unique_topics_per_day topics of the taxonomy in 24 hours, or
// whose topic coverage reaches systematic_coverage_threshold, gets its
// limits multiplied by suspicious_pattern_multiplier until it no longer
// does. Topics are those of the scan-logs taxonomy (22 in the shipped
// corpora/topics.yaml; a larger taxonomy makes larger values useful).
type RateLimits struct {
	RequestsPerHour             int     `yaml:"requests_per_hour"`
	UniqueTopicsPerDay          int     `yaml:"unique_topics_per_day"`
	SystematicCoverageThreshold float64 `yaml:"systematic_coverage_threshold"`
	SuspiciousPatternMultiplier float64 `yaml:"suspicious_pattern_multiplier"`
	// MinPrompts is how many prompts an account needs before its coverage
	// is judged (default 40; coverage of a few prompts means nothing).
	MinPrompts int `yaml:"min_prompts"`
}

// RiskConfig runs the full log scanner on the gateway's own traffic, in
// memory, every ScanEvery, and applies its actions as POST /admin/risk
// would.
type RiskConfig struct {
	ScanEvery Duration `yaml:"scan_every"`
	// Rules is a scan-logs config file (rules, actions, topics_file).
	Rules string `yaml:"rules"`
}

// LogConfig places the request log.
type LogConfig struct {
	Path      string `yaml:"path"`
	MaxSizeMB int    `yaml:"max_size_mb"`
	MaxFiles  int    `yaml:"max_files"`
}

// Duration reads "30s", "5m" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 30s or 5m)", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// HashAPIKey is how API keys appear in the config: "sha256:" + hex.
func HashAPIKey(key string) string {
	d := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(d[:])
}

// LoadConfig reads and checks a config file. Unknown fields are errors with
// their line number.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.dir = filepath.Dir(path)
	return c, nil
}

// ParseConfig parses config bytes and fills in defaults.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	c.setDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Backend.Kind == "" {
		c.Backend.Kind = "embedded"
	}
	if c.Backend.Timeout.Duration == 0 {
		c.Backend.Timeout.Duration = 10 * time.Minute
	}
	if c.Requests.MaxBodyBytes == 0 {
		c.Requests.MaxBodyBytes = 1 << 20
	}
	if c.Requests.MaxTokens == 0 {
		c.Requests.MaxTokens = 4096
	}
	if c.Requests.DefaultTokens == 0 {
		c.Requests.DefaultTokens = 512
	}
	if c.ShutdownTimeout.Duration == 0 {
		c.ShutdownTimeout.Duration = 30 * time.Second
	}
	if c.Log.MaxSizeMB == 0 {
		c.Log.MaxSizeMB = 100
	}
	if c.Log.MaxFiles == 0 {
		c.Log.MaxFiles = 10
	}
	if rl := c.RateLimits; rl != nil {
		if rl.RequestsPerHour > 0 && c.Defaults.Limits.RequestsPerHour == 0 {
			c.Defaults.Limits.RequestsPerHour = rl.RequestsPerHour
		}
		if rl.SuspiciousPatternMultiplier == 0 {
			rl.SuspiciousPatternMultiplier = 0.1
		}
		if rl.MinPrompts == 0 {
			rl.MinPrompts = 40
		}
	}
}

func (c *Config) validate() error {
	if rl := c.RateLimits; rl != nil {
		switch {
		case rl.RequestsPerHour < 0 || rl.UniqueTopicsPerDay < 0 || rl.MinPrompts < 0:
			return fmt.Errorf("rate_limits: counts must not be negative")
		case !(rl.SuspiciousPatternMultiplier > 0 && rl.SuspiciousPatternMultiplier <= 1):
			return fmt.Errorf("rate_limits: suspicious_pattern_multiplier %v must be in (0,1]", rl.SuspiciousPatternMultiplier)
		case rl.SystematicCoverageThreshold < 0 || rl.SystematicCoverageThreshold > 1:
			return fmt.Errorf("rate_limits: systematic_coverage_threshold %v must be in [0,1]", rl.SystematicCoverageThreshold)
		}
	}
	if c.Risk.ScanEvery.Duration < 0 || (c.Risk.ScanEvery.Duration > 0 && c.Risk.ScanEvery.Duration < time.Second) {
		return fmt.Errorf("risk: scan_every %v must be at least 1s (or 0 for never)", c.Risk.ScanEvery.Duration)
	}
	switch c.Backend.Kind {
	case "embedded", "ollama":
	default:
		return fmt.Errorf("backend kind %q: want embedded or ollama", c.Backend.Kind)
	}
	if c.Requests.MaxTokens < 1 || c.Requests.DefaultTokens > c.Requests.MaxTokens {
		return fmt.Errorf("requests: default_tokens %d must be ≤ max_tokens %d", c.Requests.DefaultTokens, c.Requests.MaxTokens)
	}
	seenKey := map[string]string{}
	seenAcct := map[string]bool{}
	for i, a := range c.Accounts {
		if a.Name == "" {
			return fmt.Errorf("account %d has no name", i+1)
		}
		if seenAcct[a.Name] {
			return fmt.Errorf("account %q is defined twice", a.Name)
		}
		seenAcct[a.Name] = true
		if len(a.APIKeys) == 0 {
			return fmt.Errorf("account %q has no api_keys", a.Name)
		}
		for _, k := range a.APIKeys {
			if err := checkHash(k); err != nil {
				return fmt.Errorf("account %q: %w", a.Name, err)
			}
			if other, ok := seenKey[k]; ok {
				return fmt.Errorf("accounts %q and %q share an API key", other, a.Name)
			}
			seenKey[k] = a.Name
		}
		key := a.Key
		if key == "" {
			key = c.Defaults.Key
		}
		if watermarkOn(a.Watermark) {
			if key == "" {
				return fmt.Errorf("account %q is watermarked but names no key (set key: or defaults.key:)", a.Name)
			}
			if _, ok := c.Keys[key]; !ok {
				return fmt.Errorf("account %q: key %q is not under keys:", a.Name, key)
			}
		}
	}
	for _, k := range c.AdminAPIKeys {
		if err := checkHash(k); err != nil {
			return fmt.Errorf("admin_api_keys: %w", err)
		}
	}
	for _, m := range c.Models {
		if m.Name == "" {
			return errors.New("a model has no name")
		}
	}
	return nil
}

func checkHash(k string) error {
	h, ok := strings.CutPrefix(k, "sha256:")
	if b, err := hex.DecodeString(h); !ok || err != nil || len(b) != 32 {
		return errors.New(`API keys are stored hashed: "sha256:" and 64 hex digits (forensics serve apikey makes one)`)
	}
	return nil
}

func watermarkOn(b *bool) bool { return b == nil || *b }

// path resolves a config-relative path.
func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}
