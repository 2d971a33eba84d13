package logscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"forensics/logline"
)

// Layout says where each field is in a log line: dotted JSON paths
// ("request.user.id"), set in the scan config for logs that are not the
// gateway's own. Empty paths mean the gateway's layout (docs/design.md).
type Layout struct {
	TS               string `yaml:"ts"`
	Account          string `yaml:"account"`
	APIKeyID         string `yaml:"api_key_id"`
	IP               string `yaml:"ip"`
	UserAgent        string `yaml:"user_agent"`
	Endpoint         string `yaml:"endpoint"`
	Model            string `yaml:"model"`
	Prompt           string `yaml:"prompt"`
	System           string `yaml:"system"`
	Messages         string `yaml:"messages"`
	Params           string `yaml:"params"`
	Status           string `yaml:"status"`
	PromptTokens     string `yaml:"prompt_tokens"`
	CompletionTokens string `yaml:"completion_tokens"`
	// Stop is why generation ended ("length" at max_tokens).
	Stop string `yaml:"stop"`
	// TimeFormat is "rfc3339" (default), "unix" or "unix_ms".
	TimeFormat string `yaml:"time_format"`
}

// DefaultLayout is the gateway's request log (logline.Entry): each path is
// the key of the Entry field of the same name (a test holds them to it).
func DefaultLayout() Layout {
	return Layout{TS: "ts", Account: "account", APIKeyID: "api_key_id", IP: "ip", UserAgent: "user_agent",
		Endpoint: "endpoint", Model: "model", Prompt: "prompt", System: "system", Messages: "messages", Params: "params",
		Status: "status", PromptTokens: "prompt_tokens", CompletionTokens: "completion_tokens", Stop: "stop", TimeFormat: "rfc3339"}
}

// withDefaults fills unset paths from the gateway layout.
func (l Layout) withDefaults() Layout {
	d := DefaultLayout()
	set := func(p *string, def string) {
		if *p == "" {
			*p = def
		}
	}
	set(&l.TS, d.TS)
	set(&l.Account, d.Account)
	set(&l.APIKeyID, d.APIKeyID)
	set(&l.IP, d.IP)
	set(&l.UserAgent, d.UserAgent)
	set(&l.Endpoint, d.Endpoint)
	set(&l.Model, d.Model)
	set(&l.Prompt, d.Prompt)
	set(&l.System, d.System)
	set(&l.Messages, d.Messages)
	set(&l.Params, d.Params)
	set(&l.Status, d.Status)
	set(&l.PromptTokens, d.PromptTokens)
	set(&l.CompletionTokens, d.CompletionTokens)
	set(&l.Stop, d.Stop)
	set(&l.TimeFormat, d.TimeFormat)
	return l
}

// ErrNoAccount and ErrNoTime mark lines that lack the two fields a scan
// cannot do without; a layout that never finds them is wrong.
var (
	ErrNoAccount = errors.New("no account field")
	ErrNoTime    = errors.New("no timestamp")
)

// Parse reads one log line under the layout.
func (l Layout) Parse(line []byte) (Record, error) { return l.parse(line, nil) }

// parse is Parse with an interner for repeated strings (nil: none).
func (l Layout) parse(line []byte, in logline.Interner) (Record, error) {
	if l == DefaultLayout() {
		if v, ok := logline.Parse(line, in); ok {
			return gatewayRecord(&v)
		}
		var v logline.View
		if err := json.Unmarshal(line, &v); err == nil {
			return gatewayRecord(&v)
		}
		// A line that does not fit the typed shape (a number where a
		// string is expected, say) gets the generic reading below.
	}
	return l.parseGeneric(line)
}

// parseGeneric reads a line of any layout through a generic map.
func (l Layout) parseGeneric(line []byte) (Record, error) {
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return Record{}, fmt.Errorf("not a JSON object: %v", err)
	}
	var r Record
	r.Account = str(lookup(obj, l.Account))
	if r.Account == "" {
		if str(obj["event"]) != "" {
			return r, ErrLogEvent
		}
		return r, ErrNoAccount
	}
	ts, err := l.parseTime(lookup(obj, l.TS))
	if err != nil {
		return r, err
	}
	r.TS = ts
	r.APIKeyID = str(lookup(obj, l.APIKeyID))
	r.IP = str(lookup(obj, l.IP))
	r.UserAgent = str(lookup(obj, l.UserAgent))
	r.Endpoint = str(lookup(obj, l.Endpoint))
	r.Model = str(lookup(obj, l.Model))
	r.Status = int(num(lookup(obj, l.Status)))
	r.Stop = str(lookup(obj, l.Stop))
	r.PromptTokens = int(num(lookup(obj, l.PromptTokens)))
	r.CompletionTokens = int(num(lookup(obj, l.CompletionTokens)))
	r.Prompt = str(lookup(obj, l.Prompt))
	var msgs []message
	if ms, ok := lookup(obj, l.Messages).([]any); ok {
		for _, m := range ms {
			if mm, ok := m.(map[string]any); ok {
				msgs = append(msgs, message{role: str(mm["role"]), content: str(mm["content"])})
			}
		}
	}
	r.Prompt, r.Context, r.Assistant = splitInput(r.Prompt, str(lookup(obj, l.System)), msgs)
	r.Completion = completionPrefix(str(obj["completion_sha256"]))
	if p, ok := lookup(obj, l.Params).(map[string]any); ok {
		r.Params = genericParams(p)
	}
	return r, nil
}

// genericParams reads the parameters a scan uses from a generic map.
func genericParams(p map[string]any) Params {
	var out Params
	if v, ok := p["temperature"]; ok {
		out.Temperature, out.HasTemperature = num(v), true
	}
	out.TopLogprobs = int(num(p["top_logprobs"]))
	out.N = int(num(p["n"]))
	out.MaxTokens = int(num(p["max_tokens"]))
	if lb, ok := p["logit_bias"]; ok && lb != nil {
		out.LogitBias = true
	}
	return out
}

func (l Layout) parseTime(v any) (time.Time, error) {
	switch l.TimeFormat {
	case "unix", "unix_ms":
		f := num(v)
		if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, ErrNoTime
		}
		if l.TimeFormat == "unix_ms" {
			return time.UnixMilli(int64(f)).UTC(), nil
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	s := str(v)
	if s == "" {
		return time.Time{}, ErrNoTime
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	// The zero time (0001-01-01T00:00:00Z) is no log's time; a scan
	// would take it for a missing one.
	if err != nil || t.IsZero() {
		return time.Time{}, fmt.Errorf("timestamp %q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// lookup follows a dotted path through nested objects.
func lookup(obj map[string]any, path string) any {
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func num(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0
		}
		return f
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0
		}
		return f
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

type message struct{ role, content string }

// splitInput picks a request's question (the prompt, overridden by the
// last non-empty user message of a chat), its context (the system prompt
// and every other non-empty message but the assistant's) and the
// assistant turns.
func splitInput(prompt, system string, msgs []message) (string, []string, []string) {
	last := -1
	for i, m := range msgs {
		if (m.role == "user" || m.role == "") && m.content != "" {
			last = i
		}
	}
	if last >= 0 {
		prompt = msgs[last].content
	}
	var ctx, asst []string
	if system != "" {
		ctx = append(ctx, system)
	}
	for i, m := range msgs {
		switch {
		case i == last || m.content == "":
		case m.role == "assistant":
			asst = append(asst, m.content)
		default:
			ctx = append(ctx, m.content)
		}
	}
	return prompt, ctx, asst
}

// completionPrefix reads the first 8 bytes of a hex SHA-256 (0 if it is
// not one).
func completionPrefix(h string) uint64 {
	if len(h) != 64 {
		return 0
	}
	v, err := strconv.ParseUint(h[:16], 16, 64)
	if err != nil {
		return 0
	}
	return v
}

// gatewayRecord is the Record of a gateway line's View.
func gatewayRecord(v *logline.View) (Record, error) {
	if v.Account == "" && v.Event != "" {
		return Record{}, ErrLogEvent
	}
	r := Record{Account: v.Account, APIKeyID: v.APIKeyID, IP: v.IP, UserAgent: v.UserAgent, Endpoint: v.Endpoint,
		Model: v.Model, Status: int(v.Status), PromptTokens: int(v.PromptTokens), CompletionTokens: int(v.CompletionTokens), Case: v.Case, Stop: v.Stop}
	if r.Account == "" {
		return r, ErrNoAccount
	}
	if v.TS == "" {
		return r, ErrNoTime
	}
	ts, err := time.Parse(time.RFC3339Nano, v.TS)
	if err != nil || ts.IsZero() {
		return r, fmt.Errorf("timestamp %q is not an RFC 3339 time", v.TS)
	}
	r.TS = ts.UTC()
	prompt, system := "", ""
	if v.Prompt != nil {
		prompt = *v.Prompt
	}
	if v.System != nil {
		system = *v.System
	}
	var msgs []message
	if len(v.Messages) > 0 {
		msgs = make([]message, len(v.Messages))
		for i, m := range v.Messages {
			msgs[i] = message{role: m.Role, content: m.Content}
		}
	}
	r.Prompt, r.Context, r.Assistant = splitInput(prompt, system, msgs)
	r.Completion = completionPrefix(v.CompletionSHA256)
	if v.Params.Temperature != nil {
		r.Params.Temperature, r.Params.HasTemperature = *v.Params.Temperature, true
	}
	r.Params.TopLogprobs = int(v.Params.TopLogprobs)
	r.Params.N = int(v.Params.N)
	r.Params.MaxTokens = int(v.Params.MaxTokens)
	r.Params.LogitBias = len(v.Params.LogitBias) > 0 && string(v.Params.LogitBias) != "null"
	return r, nil
}
