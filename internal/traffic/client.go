package traffic

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode/utf8"

	"forensics/logline"
	"forensics/logscan"
)

// The models the simulated gateway serves. Which one a request names is
// part of what a business sees: people mostly ask the default, pipelines
// pick by cost (classification on the small one) or quality, and a
// campaign picks the model whose answers it wants to copy, unless its
// tier only offers the default.
const (
	DefaultModel  = "llama3.2"     // the default model: most requests
	SmallModel    = "llama3.2:1b"  // cheaper, for volume and tiny outputs
	FlagshipModel = "llama3.3:70b" // the best and dearest model
)

// defaultMaxTokens is the limit the gateway applies (and logs) when a
// request sets none (serve's requests.default_tokens).
const defaultMaxTokens = 512

// A client is one account as the gateway sees it: its API keys, its
// current address and client string, the models it asks for.
type client struct {
	name   string
	ip, ua string
	models []string // one is drawn per request; repeat a name to weight it
	keys   []apiKey // in creation order
	spread bool     // requests spread over every key, not the newest
	seq    int      // requests sent, for answers nobody replays
	info   *logscan.AccountInfo
}

type apiKey struct {
	id      string
	created time.Time
}

// signUp opens an account with the business context a (its Account is
// set here), its first API key created at sign-up and rotations more
// keys created later, during the log's days.
func (s *simulator) signUp(name string, a logscan.AccountInfo, rotations int) *client {
	a.Account = name
	c := &client{name: name, models: []string{DefaultModel}, info: &a}
	c.addKey(a.Created)
	for k := 0; k < rotations; k++ {
		c.addKey(s.start.Add(time.Duration(s.rng.IntN(s.days*24*3600)) * time.Second))
	}
	s.accounts = append(s.accounts, &a)
	return c
}

// keyBurst creates n more keys within minutes of at, which the client
// then spreads its requests over (a way round per-key limits).
func (s *simulator) keyBurst(c *client, at time.Time, n int) {
	for k := 0; k < n; k++ {
		c.addKey(at.Add(time.Duration(30+s.rng.IntN(600)) * time.Second))
	}
	c.spread = true
}

func (c *client) addKey(at time.Time) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", c.name, len(c.keys))
	k := apiKey{id: fmt.Sprintf("%016x", h.Sum64())[:12], created: at}
	i := len(c.keys)
	for i > 0 && c.keys[i-1].created.After(at) {
		i--
	}
	c.keys = append(c.keys[:i], append([]apiKey{k}, c.keys[i:]...)...)
	c.info.KeysCreated = c.info.KeysCreated[:0]
	for _, k := range c.keys {
		c.info.KeysCreated = append(c.info.KeysCreated, k.created)
	}
}

// key is the key a request at ts is sent with: the newest created by then
// (a client switches when it deploys a new key), or any of them when the
// client spreads its requests.
func (c *client) key(ts time.Time, pick func(int) int) string {
	live := 1
	for live < len(c.keys) && !c.keys[live].created.After(ts) {
		live++
	}
	if c.spread {
		return c.keys[pick(live)].id
	}
	return c.keys[live-1].id
}

// emit logs a chat request whose answer nobody replays: want is the
// number of tokens the model would write unbounded (per choice).
func (s *simulator) emit(c *client, ts time.Time, msgs []logline.Message, params map[string]any, want int) {
	c.seq++
	s.log(c, ts, "/v1/chat/completions", msgs, nil, params, want, fmt.Sprintf("%s#%d", c.name, c.seq))
}

// emitPrompt logs a /v1/completions request (a raw prompt, as evaluation
// harnesses send).
func (s *simulator) emitPrompt(c *client, ts time.Time, prompt string, params map[string]any, want int) {
	c.seq++
	s.log(c, ts, "/v1/completions", nil, &prompt, params, want, fmt.Sprintf("%s#%d", c.name, c.seq))
}

// reply logs a chat request answered with text, which the client may
// send back later as an assistant turn; it returns the text as served.
func (s *simulator) reply(c *client, ts time.Time, msgs []logline.Message, params map[string]any, text string) string {
	text = strings.TrimSpace(text)
	s.log(c, ts, "/v1/chat/completions", msgs, nil, params, -tokenCount(text), text)
	return text
}

// log appends one line. want < 0 is the exact size of a served text;
// answer is the text the completion_sha256 is of.
func (s *simulator) log(c *client, ts time.Time, endpoint string, msgs []logline.Message, prompt *string, params map[string]any, want int, answer string) {
	limit, ok := params["max_tokens"].(int)
	if !ok {
		limit = defaultMaxTokens
		params["max_tokens"] = limit
	}
	completion, stop := s.completion(want, limit, params)
	promptTokens := 0
	for _, m := range msgs {
		promptTokens += tokenCount(m.Content) + 4
	}
	if prompt != nil {
		promptTokens = tokenCount(*prompt)
	}
	model := c.models[0]
	if len(c.models) > 1 {
		model = c.models[s.rng.IntN(len(c.models))]
	}
	sum := sha256.Sum256([]byte(answer))
	s.lines = append(s.lines, simLine{ts, &logline.Entry{
		TS: ts.Format(time.RFC3339Nano), Account: c.name, APIKeyID: c.key(ts, s.rng.IntN), IP: c.ip, UserAgent: c.ua,
		Endpoint: endpoint, Model: model, Messages: msgs, Prompt: prompt, Params: params, Status: 200,
		PromptTokens: promptTokens, CompletionTokens: completion, Stop: stop,
		LatencyMS:        float64(150+promptTokens/20+completion*22) + float64(s.rng.IntN(100)),
		CompletionSHA256: hex.EncodeToString(sum[:]),
	}})
}

// completion is the tokens generated under the limit and why generation
// stopped; with n choices, each is drawn around want and their sum
// reported.
func (s *simulator) completion(want, limit int, params map[string]any) (int, string) {
	if want < 0 {
		if -want >= limit {
			return limit, "length"
		}
		return -want, "stop"
	}
	n, _ := params["n"].(int)
	total, stop := 0, "stop"
	for k := 0; k < max(1, n); k++ {
		w := max(1, want)
		if k > 0 {
			w = max(1, int(float64(want)*(0.7+0.6*s.rng.Float64())))
		}
		if w >= limit {
			w, stop = limit, "length"
		}
		total += w
	}
	return total, stop
}

// tokenCount estimates a text's tokens as a BPE tokenizer would: about
// four tokens for three words, one a character for CJK scripts.
func tokenCount(text string) int {
	words, wide, in := 0, 0, false
	for i := 0; i < len(text); {
		b := text[i]
		if b < utf8.RuneSelf {
			space := b == ' ' || b == '\n' || b == '\t' || b == '\r'
			if !space && !in {
				words++
			}
			in = !space
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r >= 0x2E80 {
			wide++
			in = false
		} else if !in {
			words++
			in = true
		}
		i += size
	}
	return (words*4+2)/3 + wide
}
