package heldout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"forensics/logline"
	"forensics/logscan"
)

// actor is one independent source of traffic: a person, a customer's
// pipeline or a campaign, with its accounts and its own random stream.
type actor struct {
	accounts []*account
	play     func(a *actor)
	rng      *rng
	gen      *gen
	lines    []line
	err      error
}

type line struct {
	at int64 // Unix nanoseconds
	b  []byte
}

// account is one API account and what the answer key says of it.
type account struct {
	info     logscan.AccountInfo
	keys     []string // API key ids, in creation order
	kind     string
	campaign string // "" for benign accounts
}

// newAccount signs up an account at created with one API key.
func (a *actor) newAccount(kind, campaign, tier string, created time.Time) *account {
	acc := &account{kind: kind, campaign: campaign}
	acc.info = logscan.AccountInfo{
		Account: "acct_" + a.rng.hex(12),
		Tier:    tier,
		Created: created.UTC().Truncate(time.Second),
	}
	acc.addKey(a.rng, created.Add(seconds(a.rng.logNormal(90, 1.5))))
	a.accounts = append(a.accounts, acc)
	return acc
}

// addKey creates another API key at t.
func (acc *account) addKey(r *rng, t time.Time) string {
	id := "key_" + r.hex(10)
	acc.keys = append(acc.keys, id)
	acc.info.KeysCreated = append(acc.info.KeysCreated, t.UTC().Truncate(time.Second))
	return id
}

// key is the account's newest key that existed at t.
func (acc *account) key(t time.Time) string {
	k := acc.keys[0]
	for i, at := range acc.info.KeysCreated {
		if !at.After(t) {
			k = acc.keys[i]
		}
	}
	return k
}

// call is one request as an actor sends it.
type call struct {
	acc       *account
	at        time.Time
	ip, ua    string
	endpoint  string // "" means /v1/chat/completions
	model     string
	system    string
	msgs      []logline.Message
	prompt    string // for /v1/completions and /api/generate
	temp      float64
	noTemp    bool // the client leaves temperature to the server
	maxTokens int
	out       int // tokens the model writes before it stops of itself
	n         int
	logprobs  int
	bias      map[string]int
	extra     map[string]any
	status    int    // 0 means 200
	answer    string // the answer served, when the client will send it back
}

const (
	chatEndpoint = "/v1/chat/completions"
	textEndpoint = "/v1/completions"
	ollamaChat   = "/api/chat"
	ollamaGen    = "/api/generate"
)

// emit writes the call's log line and returns the status served (0 when
// the call falls outside the log).
func (a *actor) emit(c *call) int {
	if !a.gen.inside(c.at) || a.err != nil || c.at.Before(c.acc.info.KeysCreated[0]) {
		return 0 // outside the log, or before the account had a key
	}
	e := logline.Entry{
		TS:        c.at.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		RequestID: "req_" + a.rng.hex(20),
		Account:   c.acc.info.Account,
		APIKeyID:  c.acc.key(c.at),
		IP:        c.ip,
		UserAgent: c.ua,
		Endpoint:  cmpOr(c.endpoint, chatEndpoint),
		Model:     c.model,
		Params:    c.params(),
		Status:    cmpOrInt(c.status, 200),
	}
	a.content(&e, c)
	if e.Status == 200 && a.rng.chance(0.0008) {
		e.Status = 503 // the backend failed: it happens to everyone
	}
	a.outcome(&e, c)
	b, err := logline.Marshal(&e)
	if err != nil {
		a.err = fmt.Errorf("heldout: encoding a line: %w", err)
		return 0
	}
	a.lines = append(a.lines, line{c.at.UnixNano(), b})
	return e.Status
}

// content places the text where the endpoint carries it.
func (a *actor) content(e *logline.Entry, c *call) {
	text := c.prompt
	switch e.Endpoint {
	case textEndpoint:
		e.Prompt = &text
	case ollamaGen:
		e.Prompt = &text
		if c.system != "" {
			sys := c.system
			e.System = &sys
		}
	default:
		if c.system != "" {
			e.Messages = append(e.Messages, logline.Message{Role: "system", Content: c.system})
		}
		e.Messages = append(e.Messages, c.msgs...)
	}
	e.PromptTokens = tokens(c.system) + tokens(text) + 4
	for _, m := range c.msgs {
		e.PromptTokens += tokens(m.Content) + 4
	}
}

// outcome fills in what the gateway saw of the answer.
func (a *actor) outcome(e *logline.Entry, c *call) {
	e.LatencyMS = float64(a.rng.between(40, 400))
	if e.Status != 200 {
		e.Error = map[int]string{429: "rate limit exceeded", 400: "invalid request", 503: "backend unavailable", 413: "request too large"}[e.Status]
		return
	}
	out := max(1, c.out)
	e.Stop = "stop"
	if c.maxTokens > 0 && out >= c.maxTokens {
		out, e.Stop = c.maxTokens, "length"
	}
	e.CompletionTokens = out * max(1, c.n)
	e.LatencyMS += float64(out) * (8 + 30*a.rng.Float64())
	answer := c.answer
	if answer == "" {
		answer = e.RequestID // a stand-in: no one sends this answer back
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(answer)))
	e.CompletionSHA256 = hex.EncodeToString(sum[:])
	served := max(c.temp, 0.2)
	if c.noTemp {
		served = 0.8
	}
	e.Watermark = &logline.Watermark{KeyID: "wm-5c21e0", Temperature: served,
		Tilted: out * (30 + a.rng.IntN(20)) / 100, GreenGain: float64(out) * (0.08 + 0.04*a.rng.Float64())}
}

// params is the request's params object as the gateway logs it.
func (c *call) params() map[string]any {
	p := map[string]any{}
	if !c.noTemp {
		p["temperature"] = c.temp
	}
	if c.maxTokens > 0 {
		p["max_tokens"] = c.maxTokens
	}
	if c.n > 1 {
		p["n"] = c.n
	}
	if c.logprobs > 0 {
		p["top_logprobs"] = c.logprobs
		p["logprobs"] = true
	}
	if len(c.bias) > 0 {
		p["logit_bias"] = c.bias
	}
	for k, v := range c.extra {
		p[k] = v
	}
	return p
}

// tokens estimates a text's token count: about four bytes a token in
// Latin scripts, about one character a token in CJK.
func tokens(s string) int {
	if s == "" {
		return 0
	}
	ascii, other := 0, 0
	for _, r := range s {
		if r < utf8.RuneSelf {
			ascii++
		} else {
			other++
		}
	}
	return 1 + ascii/4 + other*2/3
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func cmpOrInt(x, def int) int {
	if x == 0 {
		return def
	}
	return x
}

// chat is a conversation as the client keeps it.
type chat struct {
	msgs []logline.Message
	// lossy: the client stores answers shortened (a mobile app keeping
	// 300 characters of each), so what it sends back is not what it was
	// served.
	lossy bool
}

// turn sends user text with the history, then keeps the answer served.
func (a *actor) turn(c *call, ch *chat, user, subject string) {
	c.out = min(c.out, cmpOrInt(c.maxTokens, 1<<20))
	c.msgs = append(slices.Clip(ch.msgs), logline.Message{Role: "user", Content: user})
	c.answer = answerText(a.rng, subject, c.out)
	if a.emit(c) != 200 {
		return // no answer to keep: the client asks again, or gives up
	}
	kept := c.answer
	if ch.lossy && len(kept) > 300 {
		kept = truncateUTF8(kept, 300) + "…"
	}
	ch.msgs = append(c.msgs, logline.Message{Role: "assistant", Content: kept})
}

func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:min(n, len(s))]
}

type msg = logline.Message

func user(s string) msg      { return msg{Role: "user", Content: s} }
func assistant(s string) msg { return msg{Role: "assistant", Content: s} }
