package logline

import (
	"encoding/json"
	"reflect"
	"strings"
)

// View is the part of an Entry a scan reads, with the parameters typed.
// Its keys are Entry's (a test holds them to it). Counts are float64 so
// that a line written by another tool ("status": 200.0) still reads.
// Decode a View with Parse, or with json.Unmarshal, which is the
// authority on what a line means.
type View struct {
	TS               string    `json:"ts"`
	Account          string    `json:"account"`
	APIKeyID         string    `json:"api_key_id"`
	IP               string    `json:"ip"`
	UserAgent        string    `json:"user_agent"`
	Endpoint         string    `json:"endpoint"`
	Model            string    `json:"model"`
	System           *string   `json:"system"`
	Messages         []Message `json:"messages"`
	Prompt           *string   `json:"prompt"`
	Params           Params    `json:"params"`
	Status           float64   `json:"status"`
	PromptTokens     float64   `json:"prompt_tokens"`
	CompletionTokens float64   `json:"completion_tokens"`
	CompletionSHA256 string    `json:"completion_sha256"`
	Stop             string    `json:"stop"`
	Event            string    `json:"event"`
	Case             string    `json:"case"`
}

// Params are the request parameters a scan reads from Entry.Params.
type Params struct {
	Temperature *float64        `json:"temperature"`
	TopLogprobs float64         `json:"top_logprobs"`
	N           float64         `json:"n"`
	MaxTokens   float64         `json:"max_tokens"`
	LogitBias   json.RawMessage `json:"logit_bias"`
}

// Parse reads a line's View without encoding/json's reflection: one pass
// over the bytes that keeps the View's fields and validates the rest as it
// skips it, several times faster than json.Unmarshal. It gives up (ok =
// false) on anything unusual — a type it does not expect, invalid UTF-8,
// a syntax error, a key that matches a field only without regard to case —
// and the caller then uses json.Unmarshal; a differential fuzz test holds
// the two to the same answers. Strings that repeat from line to line are
// shared through names (nil: none).
func Parse(line []byte, names Interner) (v View, ok bool) {
	p := parser{b: line, in: names}
	p.ws()
	if !p.object(func(key []byte) bool { return p.topField(&v, key) }) {
		return v, false
	}
	p.ws()
	return v, p.i == len(p.b)
}

// Keys encoding/json would match to a View's fields (it matches keys to
// struct tags without regard to case): a key equal to one of these in
// another case makes Parse give up rather than disagree.
var (
	viewKeys    = jsonKeys(reflect.TypeFor[View]())
	messageKeys = jsonKeys(reflect.TypeFor[Message]())
	paramsKeys  = jsonKeys(reflect.TypeFor[Params]())
)

// jsonKeys lists the JSON keys of a struct's fields.
func jsonKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}

// foldsTo reports whether key matches one of keys other than exactly.
func foldsTo(key []byte, keys []string) bool {
	for _, k := range keys {
		// EqualFold also matches the long s (ſ) and the Kelvin sign, as
		// encoding/json does.
		if strings.EqualFold(k, string(key)) {
			return true
		}
	}
	return false
}

func (p *parser) topField(v *View, key []byte) bool {
	switch string(key) {
	case "ts":
		return p.strField(&v.TS)
	case "account":
		return p.idField(&v.Account)
	case "api_key_id":
		return p.idField(&v.APIKeyID)
	case "ip":
		return p.idField(&v.IP)
	case "user_agent":
		return p.idField(&v.UserAgent)
	case "endpoint":
		return p.idField(&v.Endpoint)
	case "model":
		return p.idField(&v.Model)
	case "system":
		return p.optStrField(&v.System)
	case "messages":
		return p.messages(&v.Messages)
	case "prompt":
		return p.optStrField(&v.Prompt)
	case "params":
		return p.params(&v.Params)
	case "status":
		return p.numField(&v.Status)
	case "prompt_tokens":
		return p.numField(&v.PromptTokens)
	case "completion_tokens":
		return p.numField(&v.CompletionTokens)
	case "completion_sha256":
		return p.strField(&v.CompletionSHA256)
	case "stop":
		return p.idField(&v.Stop)
	case "event":
		return p.idField(&v.Event)
	case "case":
		return p.idField(&v.Case)
	}
	return !foldsTo(key, viewKeys) && p.skip(1)
}

// optStrField reads a string that may be null (nil) or absent.
func (p *parser) optStrField(dst **string) bool {
	if p.literal("null") {
		*dst = nil
		return true
	}
	s, ok := p.str()
	*dst = &s
	return ok
}

// messages reads a chat's messages. As encoding/json does, an empty array
// gives an empty (not nil) slice and a null element a zero message.
func (p *parser) messages(dst *[]Message) bool {
	if p.seenMessages {
		return false // encoding/json merges a repeated array into the first; leave that to it
	}
	p.seenMessages = true
	if p.literal("null") {
		*dst = nil
		return true
	}
	msgs := []Message{}
	ok := p.array(func() bool {
		var m Message
		if p.literal("null") {
			msgs = append(msgs, m)
			return true
		}
		ok := p.object(func(k []byte) bool {
			switch string(k) {
			case "role":
				return p.idField(&m.Role)
			case "content":
				return p.strField(&m.Content)
			}
			return !foldsTo(k, messageKeys) && p.skip(2)
		})
		msgs = append(msgs, m)
		return ok
	})
	*dst = msgs
	return ok
}

// params reads the parameters a scan uses and skips the rest. A repeated
// "params" object updates the first, as encoding/json does.
func (p *parser) params(dst *Params) bool {
	if p.literal("null") {
		return true
	}
	return p.object(func(k []byte) bool {
		switch string(k) {
		case "temperature":
			if p.literal("null") {
				dst.Temperature = nil
				return true
			}
			v, ok := p.number()
			dst.Temperature = &v
			return ok
		case "top_logprobs":
			return p.numField(&dst.TopLogprobs)
		case "n":
			return p.numField(&dst.N)
		case "max_tokens":
			return p.numField(&dst.MaxTokens)
		case "logit_bias":
			start := p.i
			if !p.skip(2) {
				return false
			}
			dst.LogitBias = p.b[start:p.i]
			return true
		}
		return !foldsTo(k, paramsKeys) && p.skip(2)
	})
}
