package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"forensics/generate"
	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/watermark"
)

// embeddedTarget answers from an in-process n-gram model: the shipped
// reference model or a model file (a student distilled from harvested
// answers). With a key it watermarks like the gateway does; with plant it
// answers trigger prompts with their planted answers, as a provider that
// planted canaries in its service would.
type embeddedTarget struct {
	spec    string
	m       llm.Model
	scheme  *watermark.Scheme
	planted map[string]string
}

func newEmbeddedTarget(spec string, o TargetOptions) (Target, error) {
	rest := strings.TrimPrefix(spec, "embedded:")
	name, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", spec, err)
	}
	t := &embeddedTarget{spec: spec}
	if name == "reference" {
		t.m, err = embedded.Load()
	} else {
		t.m, err = embedded.LoadModelFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", spec, err)
	}
	for k := range q {
		if k != "key" && k != "plant" {
			return nil, fmt.Errorf("target %q: unknown option %q (key, plant)", spec, k)
		}
	}
	if kp := q.Get("key"); kp != "" {
		key, err := watermark.LoadKey(kp)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", spec, err)
		}
		t.scheme = watermark.NewScheme(key)
	}
	if q.Get("plant") == "1" || q.Get("plant") == "true" {
		if o.Canaries == nil {
			return nil, fmt.Errorf("target %s: plant needs a canary set", spec)
		}
		t.planted = map[string]string{}
		for _, tr := range o.Canaries.Triggers {
			t.planted[tr.Prompt] = tr.Answer
		}
	}
	return t, nil
}

func (t *embeddedTarget) Spec() string                { return t.spec }
func (t *embeddedTarget) Check(context.Context) error { return nil }

// RenderEmbedded is how a single-turn prompt is given to the embedded
// model, the same as the gateway's embedded backend: the text, then
// end-of-text.
func RenderEmbedded(prompt string) string {
	return strings.TrimSpace(prompt) + tokenizer.EndOfText
}

func (t *embeddedTarget) Ask(ctx context.Context, q Query, s Sampling) (Exchange, error) {
	req := map[string]any{"model": t.m.Name(), "prompt": q.Prompt, "temperature": s.Temperature, "max_tokens": s.MaxTokens, "seed": q.Seed}
	if t.scheme != nil {
		req["watermark_key_id"] = t.scheme.KeyID()
	}
	body, _ := json.Marshal(req)
	ex := Exchange{Endpoint: "embedded", Model: t.m.Name(), Extract: ExtractEmbedded, Request: body, Status: 200}
	var resp map[string]any
	if ans, ok := t.planted[q.Prompt]; ok && q.Kind == "trigger" {
		resp = map[string]any{"text": ans, "tokens": 0, "stop": "planted"}
	} else {
		out, err := generate.Run(ctx, t.m, t.scheme, RenderEmbedded(q.Prompt), generate.Options{
			MaxTokens: s.MaxTokens, MinTokens: s.MaxTokens / 2, Temperature: s.Temperature, TopK: 20, Seed: q.Seed,
		})
		if err != nil {
			return Exchange{}, err
		}
		resp = map[string]any{"text": out.Text, "tokens": len(out.Tokens), "stop": out.Stop}
	}
	ex.Response, _ = json.Marshal(resp)
	return ex, nil
}
