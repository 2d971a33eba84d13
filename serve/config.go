package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the gateway's YAML configuration (see serve.example.yaml).
type Config struct {
	Listen string `yaml:"listen"`
	// AdminListen, if set, serves /metrics (without a key), /healthz and
	// /admin/* on a second address, for a network clients cannot reach.
	// On the public listener /metrics needs the admin key.
	AdminListen string        `yaml:"admin_listen"`
	Backend     BackendConfig `yaml:"backend"`
	// HTTP bounds what a connection may cost before it is authenticated.
	HTTP HTTPConfig `yaml:"http"`
	// Watermarking is how watermarked accounts are served.
	Watermarking WatermarkingConfig `yaml:"watermarking"`
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
	Log LogConfig `yaml:"log"`
	// GatewayLog is the format and level of the gateway's own event
	// lines on stderr (not the request log); flags override it.
	GatewayLog GatewayLogConfig `yaml:"gateway_log"`
	Requests   struct {
		MaxBodyBytes int64 `yaml:"max_body_bytes"`
		MaxTokens    int   `yaml:"max_tokens"`
		// DefaultTokens applies when a request sets no limit.
		DefaultTokens int `yaml:"default_tokens"`
		// MaxPromptTokens refuses prompts (as rendered for the model)
		// longer than this, before any generation.
		MaxPromptTokens int `yaml:"max_prompt_tokens"`
		// MaxStop and MaxStopBytes bound the stop sequences of a request:
		// each is searched for at every generated piece.
		MaxStop      int `yaml:"max_stop"`
		MaxStopBytes int `yaml:"max_stop_bytes"`
		// MaxMessages bounds a chat's messages.
		MaxMessages int `yaml:"max_messages"`
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
	// is answered with its planted answer. "secret" plants, for each
	// account, the secret set derived from its watermark key (what a
	// deployment should do: nobody else can plant those answers);
	// "default" the PUBLIC DEMO set every copy of forensics ships (for the
	// demo only: its evidence proves nothing); anything else a canary file
	// relative to the config.
	Canaries string `yaml:"canaries"`
	// Cases opens case keys for flagged accounts (docs/cases.md).
	Cases CasesConfig `yaml:"cases"`
	// State is where per-account state (limits, budgets, suspensions,
	// keys added at run time) lives: Redis for several replicas, memory
	// otherwise (docs/replicas.md).
	State StateConfig `yaml:"state"`

	dir           string // folder of the config file, for relative paths
	listenDefault bool   // listen was not set
}

// StateConfig chooses the store of per-account state.
type StateConfig struct {
	// Redis is redis://[:password@]host:port/db (rediss:// for TLS); the
	// password may come from FORENSICS_REDIS_PASSWORD instead. Empty: the
	// state lives in the process.
	Redis string `yaml:"redis"`
	// Prefix starts every Redis key (default "forensics:").
	Prefix string `yaml:"prefix"`
	// Dir, without Redis, keeps the API keys added or revoked at run time
	// (keys.json, relative to the config); without either, the admin key
	// API refuses changes that a restart would lose.
	Dir string `yaml:"dir"`
}

// BackendConfig chooses what generates the text.
type BackendConfig struct {
	Kind string `yaml:"kind"` // embedded (default), ollama or openai
	// URL of the Ollama server, OLLAMA_HOST style (host:port or URL); for
	// openai, the engine's http(s) URL (with or without /v1).
	URL     string   `yaml:"url"`
	Timeout Duration `yaml:"timeout"`
	// ChunkTokens is how many tokens each Ollama request asks for when
	// streams are not cancelled (default 3); see llm/ollama.
	ChunkTokens int `yaml:"chunk_tokens"`
	// CancelStreams closes an Ollama stream as soon as a draft is
	// rejected. Unsafe with Ollama v0.17.4 (see llm/ollama.Client.Cancel).
	CancelStreams bool `yaml:"cancel_streams"`
	// OpenAI holds what only the openai kind uses.
	OpenAI OpenAIBackendConfig `yaml:"openai"`
}

// OpenAIBackendConfig configures an OpenAI-compatible engine (vLLM,
// SGLang, llama.cpp's server); docs/openai-backend.md.
type OpenAIBackendConfig struct {
	// APIKeyEnv or APIKeyFile (config-relative) hold the engine's API key,
	// if it has one; the key itself is never in the config or the logs.
	APIKeyEnv  string `yaml:"api_key_env"`
	APIKeyFile string `yaml:"api_key_file"`
	// Logprobs is what the engine's log-probabilities are of: raw
	// (default; vLLM's default raw_logprobs) or processed (vLLM's
	// --logprobs-mode processed_logprobs).
	Logprobs string `yaml:"logprobs"`
	// EOSTokens are the model's end tokens as the engine prints them
	// (default: openaicompat.DefaultEOSTokens).
	EOSTokens []string `yaml:"eos_tokens"`
	// Tokenizer (hf:DIR, gguf:PATH or ollama://HOST/MODEL) is the served model's
	// tokenizer: needed when the engine names tokens by id (vLLM's
	// --return-tokens-as-token-ids), and it counts prompt tokens exactly.
	Tokenizer string `yaml:"tokenizer"`
	// SeedBits is how many bits of the sampling seed are sent (default
	// 63; 32 for llama.cpp's server).
	SeedBits int `yaml:"seed_bits"`
	// ChatTemplate (config-relative) is the served model's
	// tokenizer_config.json: its chat template renders chats to the raw
	// prompt the engine completes (without it chats are refused).
	// ChatTemplateKeepBOS keeps the template's leading bos_token, for an
	// engine that does not add one itself (vLLM's /v1/completions adds
	// it: add_special_tokens defaults to true).
	ChatTemplate        string `yaml:"chat_template"`
	ChatTemplateKeepBOS bool   `yaml:"chat_template_keep_bos"`
}

// ModelConfig exposes one backend model under a name.
type ModelConfig struct {
	Name     string `yaml:"name"`
	Upstream string `yaml:"upstream"` // the backend's name for it (default: Name)
	// Watermark off serves this model without a watermark (internal use).
	Watermark *bool `yaml:"watermark"`
	// Embeddings on serves /api/embed, /api/embeddings and /v1/embeddings
	// for this model (default off: a generative model's embeddings are
	// its hidden states, a distillation aid the watermark does not mark;
	// docs/gateway-api.md).
	Embeddings bool `yaml:"embeddings"`
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
	// Models, if set, are the only models (by the name clients use) the
	// account may ask for. A model served without a watermark is open
	// only to accounts that list it; to everyone else it does not exist.
	Models []string `yaml:"models"`
}

// HTTPConfig bounds connections and unauthenticated traffic.
type HTTPConfig struct {
	// MaxConnections caps open client connections (default 1024); more
	// wait in the kernel's accept queue.
	MaxConnections int `yaml:"max_connections"`
	// MaxConnectionsPerIP caps one address's open connections (default
	// 64); more are closed at once.
	MaxConnectionsPerIP int `yaml:"max_connections_per_ip"`
	// BodyTimeout is how long a client has to send its whole request body
	// (default 30s); it starts before authentication.
	BodyTimeout Duration `yaml:"body_timeout"`
	// MaxHeaderBytes bounds request headers (default 64 KiB).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// UnauthenticatedPerMinute is how many requests without a valid key
	// one address may make a minute (default 30); beyond it they get 429
	// and are counted in one log line a minute instead of one each.
	UnauthenticatedPerMinute int `yaml:"unauthenticated_per_minute"`
	// UnauthenticatedTotalPerMinute bounds the same over all addresses
	// together (default 600): many addresses must not multiply what an
	// attacker can write into the log.
	UnauthenticatedTotalPerMinute int `yaml:"unauthenticated_total_per_minute"`
	// TrustedProxies are the addresses (CIDRs) of reverse proxies in
	// front of the gateway: for a request from one, the client's address
	// is the last one in X-Forwarded-For that is not a trusted proxy.
	// Without it, X-Forwarded-For is ignored (a client could write any
	// address there).
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AllowedOrigins are web origins, besides Ollama's defaults (localhost
	// and the app schemes), whose pages may read answers (CORS); one "*"
	// may stand for a port or any text, and "*" alone allows every origin.
	AllowedOrigins []string `yaml:"allowed_origins"`

	trusted []netip.Prefix
}

// WatermarkingConfig is how watermarked accounts are served.
type WatermarkingConfig struct {
	// MinTemperature is the lowest temperature a watermarked generation
	// is sampled at (default 0.2). Greedy decoding carries no watermark
	// and near-greedy text too little; a request below the floor is
	// served at the floor, repeatably, and logged with what it asked.
	MinTemperature *float64 `yaml:"min_temperature"`
	// Pacing releases watermarked text on a schedule that does not show
	// where the watermark rejected drafts (default on; see serve/pace.go).
	// Turning it off reopens a timing channel on the green list.
	Pacing *bool `yaml:"pacing"`
	// PaceLead is how many pieces' worth of time the schedule starts
	// behind generation (default 4), to absorb its jitter.
	PaceLead int `yaml:"pace_lead"`
	// RepeatWindow (default 1h) is how long a repeatable answer (a client
	// seed, or a temperature below the floor) repeats: the window, counted
	// from the Unix epoch in UTC, is part of the sampling seed of every
	// account, so at each boundary every repeatable answer changes for
	// everyone alike. Case switches take effect only at boundaries
	// (docs/cases.md), so a client that re-sends one seeded request sees
	// nothing it would not see at every boundary anyway. It bounds both how
	// long a seeded answer repeats and how long after a flag the case key
	// takes effect: 1h keeps seeds useful within a working session and the
	// text a flagged account harvests under the master key to an hour's.
	RepeatWindow Duration `yaml:"repeat_window"`
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

// LogConfig places the request log (see package reqlog).
type LogConfig struct {
	Path string `yaml:"path"`
	// Disabled runs without a request log, said explicitly: a config that
	// merely forgets log.path is refused by CheckServing.
	Disabled  bool `yaml:"disabled"`
	MaxSizeMB int  `yaml:"max_size_mb"`
	// MaxFiles is no longer read: rotation never deletes by count.
	MaxFiles int `yaml:"max_files"`
	// RetentionDays deletes archives older than this (0: keep all).
	RetentionDays int `yaml:"retention_days"`
	// Compress gzips rotated files (default true).
	Compress *bool `yaml:"compress"`
	// CheckpointEvery writes a (signed) checkpoint this often (default 1m).
	CheckpointEvery Duration `yaml:"checkpoint_every"`
	// SigningKey signs checkpoints: an ed25519 key from
	// `forensics keygen --signing` (path relative to the config).
	SigningKey string `yaml:"signing_key"`
	// MaxFieldBytes bounds each text field of a request: a generation
	// request with a longer prompt, system prompt or message is refused,
	// because its whole text could not be logged; in the log line of a
	// refused request a longer value is cut and its length and SHA-256
	// recorded (default 256 KiB).
	MaxFieldBytes int `yaml:"max_field_bytes"`
	// OnFailure is what the gateway does while the log cannot be written:
	// "refuse-watermarked" (default: watermarked accounts get 503),
	// "refuse-all", or "serve" (serve unlogged; not recommended).
	OnFailure string `yaml:"on_failure"`
}

// CasesConfig opens cases: accounts flagged by a scan or an operator are
// served under a key derived from the master key and the case id, and
// every decision goes into a signed custody ledger (docs/cases.md).
type CasesConfig struct {
	// Ledger is the custody ledger's path (relative to the config); cases
	// are off without it. It is signed with log.signing_key.
	Ledger string `yaml:"ledger"`
	// MasterKey names the key (under keys) case keys derive from (default:
	// defaults.key). Only watermarked accounts on this key join cases.
	MasterKey string `yaml:"master_key"`
	// OpenAt is the least scan action that opens a case: alert (default),
	// throttle or suspend.
	OpenAt string `yaml:"open_at"`
	// Follow makes this replica serve the cases that the replica holding
	// the ledger decides, read through the shared state (state.redis) and
	// verified with log.signing_key's public half; it holds no ledger and
	// decides no case (docs/replicas.md).
	Follow bool `yaml:"follow"`
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
		c.listenDefault = true
		c.Listen = "127.0.0.1:8080"
	}
	if c.Backend.Kind == "" {
		c.Backend.Kind = "embedded"
	}
	if c.Backend.Timeout.Duration == 0 {
		c.Backend.Timeout.Duration = 10 * time.Minute
	}
	if c.ShutdownTimeout.Duration == 0 {
		c.ShutdownTimeout.Duration = 30 * time.Second
	}
	c.setRequestDefaults()
	c.Log.setDefaults()
	c.HTTP.setDefaults()
	c.Watermarking.setDefaults()
	if c.Cases.Ledger != "" || c.Cases.Follow {
		if c.Cases.MasterKey == "" {
			c.Cases.MasterKey = c.Defaults.Key
		}
		if c.Cases.OpenAt == "" {
			c.Cases.OpenAt = "alert"
		}
	}
	if rl := c.RateLimits; rl != nil {
		if rl.RequestsPerHour > 0 && c.Defaults.Limits.RequestsPerHour == 0 {
			c.Defaults.Limits.RequestsPerHour = rl.RequestsPerHour
		}
		rl.setDefaults()
	}
}

func (c *Config) setRequestDefaults() {
	r := &c.Requests
	if r.MaxBodyBytes == 0 {
		r.MaxBodyBytes = 1 << 20
	}
	if r.MaxTokens == 0 {
		r.MaxTokens = 4096
	}
	if r.DefaultTokens == 0 {
		r.DefaultTokens = 512
	}
	if r.MaxMessages == 0 {
		r.MaxMessages = 1024
	}
	if r.MaxPromptTokens == 0 {
		r.MaxPromptTokens = 32768
	}
	if r.MaxStop == 0 {
		r.MaxStop = 16
	}
	if r.MaxStopBytes == 0 {
		r.MaxStopBytes = 256
	}
}

func (l *LogConfig) setDefaults() {
	if l.MaxSizeMB == 0 {
		l.MaxSizeMB = 100
	}
	if l.Compress == nil {
		l.Compress = ptr(true)
	}
	if l.CheckpointEvery.Duration == 0 {
		l.CheckpointEvery.Duration = time.Minute
	}
	if l.MaxFieldBytes == 0 {
		l.MaxFieldBytes = 256 << 10
	}
	if l.OnFailure == "" {
		l.OnFailure = "refuse-watermarked"
	}
}

func (h *HTTPConfig) setDefaults() {
	if h.MaxConnections == 0 {
		h.MaxConnections = 1024
	}
	if h.MaxConnectionsPerIP == 0 {
		h.MaxConnectionsPerIP = 64
	}
	if h.BodyTimeout.Duration == 0 {
		h.BodyTimeout.Duration = 30 * time.Second
	}
	if h.MaxHeaderBytes == 0 {
		h.MaxHeaderBytes = 64 << 10
	}
	if h.UnauthenticatedPerMinute == 0 {
		h.UnauthenticatedPerMinute = 30
	}
	if h.UnauthenticatedTotalPerMinute == 0 {
		h.UnauthenticatedTotalPerMinute = 600
	}
}

func (wm *WatermarkingConfig) setDefaults() {
	if wm.MinTemperature == nil {
		wm.MinTemperature = ptr(0.2)
	}
	if wm.Pacing == nil {
		wm.Pacing = ptr(true)
	}
	if wm.PaceLead == 0 {
		wm.PaceLead = 4
	}
	if wm.RepeatWindow.Duration == 0 {
		wm.RepeatWindow.Duration = time.Hour
	}
}

func (rl *RateLimits) setDefaults() {
	if rl.SuspiciousPatternMultiplier == 0 {
		rl.SuspiciousPatternMultiplier = 0.1
	}
	if rl.MinPrompts == 0 {
		rl.MinPrompts = 40
	}
}

func ptr[T any](v T) *T { return &v }

func (c *Config) validate() error {
	for _, check := range []func() error{c.validateLimits, c.parseTrustedProxies, c.validateWatermarking,
		c.validateScans, c.validateBackend, c.validateAccounts, c.validateModels, c.validateCases, c.validateGatewayLog} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateLimits checks the log, request and HTTP limits.
func (c *Config) validateLimits() error {
	if c.Log.Disabled && c.Log.Path != "" {
		return fmt.Errorf("log: disabled: true and path %q contradict each other: remove one", c.Log.Path)
	}
	if c.Log.MaxFiles != 0 {
		return errors.New("log: max_files is gone: rotated files are archived and never deleted by count (set retention_days to delete archives by age)")
	}
	switch c.Log.OnFailure {
	case "refuse-watermarked", "refuse-all", "serve":
	default:
		return fmt.Errorf("log: on_failure %q: want refuse-watermarked, refuse-all or serve", c.Log.OnFailure)
	}
	if c.Log.RetentionDays < 0 || c.Log.MaxSizeMB < 0 || c.Log.MaxFieldBytes < 256 || c.Log.CheckpointEvery.Duration < 0 {
		return errors.New("log: retention_days and max_size_mb must not be negative, max_field_bytes at least 256")
	}
	if c.Requests.MaxPromptTokens < 1 || c.Requests.MaxStop < 0 || c.Requests.MaxStopBytes < 1 || c.Requests.MaxMessages < 1 {
		return errors.New("requests: max_prompt_tokens, max_messages and max_stop_bytes must be positive, max_stop not negative")
	}
	if h := c.HTTP; h.MaxConnections < 1 || h.MaxConnectionsPerIP < 1 || h.BodyTimeout.Duration <= 0 || h.MaxHeaderBytes < 4096 || h.UnauthenticatedPerMinute < 1 || h.UnauthenticatedTotalPerMinute < 1 {
		return errors.New("http: limits must be positive (max_header_bytes at least 4096)")
	}
	return nil
}

// parseTrustedProxies reads http.trusted_proxies, addresses or CIDRs.
func (c *Config) parseTrustedProxies() error {
	c.HTTP.trusted = nil
	for _, p := range c.HTTP.TrustedProxies {
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("http: trusted_proxies: %q is not an address or CIDR", p)
			}
			pre = netip.PrefixFrom(a, a.BitLen())
		}
		c.HTTP.trusted = append(c.HTTP.trusted, pre.Masked())
	}
	for _, o := range c.HTTP.AllowedOrigins {
		if o == "" || strings.Count(o, "*") > 1 {
			return fmt.Errorf("http: allowed_origins: %q: want an origin (scheme://host[:port]) with at most one *", o)
		}
	}
	return nil
}

func (c *Config) validateWatermarking() error {
	if t := *c.Watermarking.MinTemperature; !(t >= 0 && t <= 2) {
		return fmt.Errorf("watermarking: min_temperature %v must be in [0,2]", t)
	}
	if c.Watermarking.PaceLead < 1 || c.Watermarking.PaceLead > 1000 {
		return fmt.Errorf("watermarking: pace_lead %d must be in 1..1000", c.Watermarking.PaceLead)
	}
	if c.Watermarking.RepeatWindow.Duration <= 0 {
		return fmt.Errorf("watermarking: repeat_window %s must be positive", c.Watermarking.RepeatWindow.Duration)
	}
	return nil
}

// validateScans checks the rate limits and the risk scan.
func (c *Config) validateScans() error {
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
	return nil
}

// validateBackend checks the backend kind and the token budgets.
func (c *Config) validateBackend() error {
	switch c.Backend.Kind {
	case "embedded", "ollama":
	case "openai":
		if err := c.Backend.OpenAI.validate(c.Backend.URL); err != nil {
			return err
		}
	default:
		return fmt.Errorf("backend kind %q: want embedded, ollama or openai", c.Backend.Kind)
	}
	if c.Requests.MaxTokens < 1 || c.Requests.DefaultTokens > c.Requests.MaxTokens {
		return fmt.Errorf("requests: default_tokens %d must be ≤ max_tokens %d", c.Requests.DefaultTokens, c.Requests.MaxTokens)
	}
	return nil
}

// validateAccounts checks that accounts have unique names and API keys,
// and that a watermarked account has a configured key.
func (c *Config) validateAccounts() error {
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
		if err := c.validateAccountKey(a); err != nil {
			return err
		}
	}
	if c.Canaries == "secret" && len(c.Keys) == 0 {
		return errors.New("canaries: secret derives each account's planted answers from its watermark key, and no keys are configured (under keys)")
	}
	for _, k := range c.AdminAPIKeys {
		if err := checkHash(k); err != nil {
			return fmt.Errorf("admin_api_keys: %w", err)
		}
	}
	return nil
}

// validateAccountKey checks that a watermarked account names a configured
// key, its own or the default.
func (c *Config) validateAccountKey(a AccountConfig) error {
	if !watermarkOn(a.Watermark) {
		return nil
	}
	key := a.Key
	if key == "" {
		key = c.Defaults.Key
	}
	if key == "" {
		return fmt.Errorf("account %q is watermarked but names no key (set key: or defaults.key:)", a.Name)
	}
	if _, ok := c.Keys[key]; !ok {
		return fmt.Errorf("account %q: key %q is not one of the keys (under keys)", a.Name, key)
	}
	return nil
}

// validateModels checks that models have names and that accounts list
// only configured models.
func (c *Config) validateModels() error {
	models := map[string]bool{}
	for _, m := range c.Models {
		if m.Name == "" {
			return errors.New("a model has no name")
		}
		models[m.Name] = true
	}
	for _, a := range c.Accounts {
		for _, m := range a.Models {
			if len(c.Models) > 0 && !models[m] {
				return fmt.Errorf("account %q lists model %q, which is not one of the models (under models)", a.Name, m)
			}
		}
	}
	return nil
}

// validateCases checks the cases section: a master key among the keys, a
// known open_at, and a signing key (unsigned custody is worth little).
func (c *Config) validateCases() error {
	cc := c.Cases
	if cc.Follow && cc.Ledger != "" {
		return errors.New("cases: a replica either holds the ledger (cases.ledger) or follows the one that does (cases.follow), not both")
	}
	if cc.Ledger == "" && !cc.Follow {
		if cc.MasterKey != "" || cc.OpenAt != "" {
			return errors.New("cases: master_key and open_at need a ledger (cases.ledger)")
		}
		return nil
	}
	if _, ok := c.Keys[cc.MasterKey]; !ok || cc.MasterKey == "" {
		return fmt.Errorf("cases: master_key %q is not one of the keys (under keys; default: defaults.key)", cc.MasterKey)
	}
	if _, ok := actionSeverity[cc.OpenAt]; !ok || cc.OpenAt == "none" {
		return fmt.Errorf("cases: open_at %q: want alert, throttle or suspend", cc.OpenAt)
	}
	if c.Log.SigningKey == "" {
		return errors.New("cases: the case ledger is signed with log.signing_key, and none is set (forensics keygen --signing makes one)")
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

// Path resolves a path given in the config relative to the config file.
func (c *Config) Path(p string) string { return c.path(p) }

// path resolves a config-relative path.
func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}
