package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"forensics/canary"
	"forensics/corpora"
	"forensics/internal/traffic"
	"forensics/llm/embedded"
	"forensics/probe"
	"forensics/serve"
	"forensics/watermark"
)

type demoKeys struct {
	main, partner         *watermark.Key
	mainPath, partnerPath string
}

// makeKeys writes the provider's two watermark keys, bound to the
// embedded model's tokenizer.
func makeKeys(out string, m *embedded.Model, seed uint64) (*demoKeys, error) {
	dir := filepath.Join(out, "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	k := &demoKeys{mainPath: filepath.Join(dir, "main.yaml"), partnerPath: filepath.Join(dir, "partner.yaml")}
	var err error
	for _, x := range []struct {
		key  **watermark.Key
		id   string
		path string
	}{{&k.main, "demo-main", k.mainPath}, {&k.partner, "demo-partner", k.partnerPath}} {
		if seed == 0 {
			*x.key, err = watermark.NewKey(x.id, watermark.DefaultParams())
		} else {
			secret := sha256.Sum256([]byte(fmt.Sprintf("forensics-demo-key\n%d\n%s", seed, x.id)))
			*x.key, err = watermark.NewKeyFromSecret(x.id, watermark.DefaultParams(), secret, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		}
		if err != nil {
			return nil, err
		}
		(*x.key).Tokenizer = m.Tokenizer().ID()
		if err := (*x.key).WriteFile(x.path, false); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// population is who uses the gateway (see traffic.Crowd).
type population struct{ *traffic.Crowd }

func newPopulation(sz size, planted *canary.Set) *population {
	var triggers []string
	for _, t := range planted.Triggers {
		triggers = append(triggers, t.Prompt)
	}
	c, err := traffic.NewCrowd(sz.benign, sz.heads, triggers)
	if err != nil {
		// The topics and the openings are compiled in (package corpora),
		// and traffic's tests read them: only a broken build gets here.
		panic(err)
	}
	return &population{c}
}

func (p *population) attackers() []string { return names(p.Heads) }

func (p *population) benignNames() []string { return names(p.Benign) }

func names(ms []traffic.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// gatewayConfig writes the gateway's config (hashed API keys, per-account
// keys, the request log) and loads it.
func gatewayConfig(out string, p *population, signer string) (*serve.Config, error) {
	dir, err := filepath.Abs(filepath.Join(out, "gateway"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	keysDir, _ := filepath.Abs(filepath.Join(out, "keys"))
	var b strings.Builder
	fmt.Fprintf(&b, "# written by forensics demo\nlisten: 127.0.0.1:0\nbackend: {kind: embedded}\nkeys:\n  main: %s\n  partner: %s\n",
		filepath.Join(keysDir, "main.yaml"), filepath.Join(keysDir, "partner.yaml"))
	b.WriteString("defaults:\n  key: main\n  limits: {requests_per_hour: 100000, concurrent: 8}\naccounts:\n")
	for _, m := range append(append([]traffic.Member{}, p.Benign...), p.Heads...) {
		fmt.Fprintf(&b, "  - {name: %s, key: %s, api_keys: [\"%s\"]}\n", m.Name, m.Key, serve.HashAPIKey(m.APIKey))
	}
	fmt.Fprintf(&b, "admin_api_keys: [\"%s\"]\n", serve.HashAPIKey(demoAdminKey))
	fmt.Fprintf(&b, "log:\n  path: %s\n  checkpoint_every: 1s\n  signing_key: %s\n", filepath.Join(dir, "requests.jsonl"), signer)
	// Flagged accounts are moved onto case keys (docs/cases.md), recorded
	// in a ledger signed with the log's key.
	fmt.Fprintf(&b, "cases:\n  ledger: %s\n  master_key: main\n", filepath.Join(dir, "cases.jsonl"))
	// A case takes effect at the next repeat-window boundary; the demo's
	// window is short so that it does not wait an hour (a real gateway
	// keeps the default, docs/cases.md).
	fmt.Fprintf(&b, "watermarking:\n  repeat_window: %s\n", repeatWindow)
	// The provider plants answers to the trigger questions of each key's
	// secret canary set.
	b.WriteString("canaries: secret\n")
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	return serve.LoadConfig(path)
}

// pair is one harvested exchange.
type pair struct {
	Account string `json:"account"`
	Prompt  string `json:"prompt"`
	Answer  string `json:"answer"`
	tokens  int
}

// drive sends everyone's requests through the gateway, two at a time, in
// the crowd's interleaved order; it returns the campaign's harvest and how
// many requests were answered.
func (p *population) drive(ctx context.Context, base string, reqs []traffic.Request, sz size, detail func(string)) ([]pair, int, error) {
	var (
		mu      sync.Mutex
		harvest []pair
		answers int
	)
	client := &http.Client{Timeout: 2 * time.Minute}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, r := range reqs {
		if gctx.Err() != nil {
			break // a request failed, or the caller gave up
		}
		g.Go(func() error {
			ans, tokens, err := ask(gctx, client, base, r, sz)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			answers++
			if r.Ollama {
				harvest = append(harvest, pair{Account: r.Member.Name, Prompt: r.Prompt, Answer: ans, tokens: tokens})
			}
			if answers%100 == 0 {
				detail(fmt.Sprintf("%d of %d requests answered", answers, len(reqs)))
			}
			return nil
		})
	}
	err := g.Wait()
	if cerr := ctx.Err(); cerr != nil {
		return nil, answers, cerr
	}
	if err != nil {
		return nil, answers, err
	}
	return harvest, answers, nil
}

// ask sends one request the way the account's client does.
func ask(ctx context.Context, c *http.Client, base string, j traffic.Request, sz size) (string, int, error) {
	var url string
	var body any
	if j.Ollama {
		url = base + "/api/generate"
		opts := map[string]any{"temperature": 0.8, "num_predict": sz.answerTokens}
		if j.Seed != 0 {
			opts["seed"] = j.Seed
		}
		body = map[string]any{"model": "embedded", "prompt": j.Prompt, "stream": false, "options": opts}
	} else {
		url = base + "/v1/chat/completions"
		b := map[string]any{"model": "embedded", "messages": []map[string]string{{"role": "user", "content": j.Prompt}}, "max_tokens": 60, "temperature": 0.8}
		if j.Seed != 0 {
			b["seed"] = j.Seed
		}
		body = b
	}
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+j.Member.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", map[bool]string{true: "harvest-bot/0.3", false: "Mozilla/5.0 (demo browser)"}[j.Ollama])
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("gateway: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("gateway answered %s to %s: %s", resp.Status, j.Member.Name, strings.TrimSpace(string(raw)))
	}
	kind := probe.ExtractOpenAI
	if j.Ollama {
		kind = probe.ExtractOllama
	}
	return probe.ExtractText(kind, raw)
}

func writeHarvest(path string, ps []pair) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, p := range ps {
		enc.Encode(p)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

type models struct {
	student, control, control2 string
	bytes                      int
}

// distil trains the student on the harvest (prompt, end-of-text, answer:
// what a distiller fine-tunes on) and two controls on held-out human text
// of the same size.
func distil(ctx context.Context, out string, harvest []pair) (*models, error) {
	dir := filepath.Join(out, "models")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	m := &models{student: filepath.Join(dir, "student.model"), control: filepath.Join(dir, "control.model"), control2: filepath.Join(dir, "control2.model")}
	var texts []string
	for _, h := range harvest {
		t := probe.RenderEmbedded(h.Prompt) + h.Answer
		texts = append(texts, t)
		m.bytes += len(t)
	}
	if err := embedded.TrainFile(ctx, texts, m.student, "distilled from the demo harvest"); err != nil {
		return nil, err
	}
	paras, err := corpora.Paragraphs()
	if err != nil {
		return nil, err
	}
	_, held := corpora.Split(paras)
	// The controls take alternate held-out paragraphs, so that both mix
	// the corpus's genres alike: controls must be of one kind.
	slice := func(parity int) []string {
		var out []string
		size := 0
		for i := parity; i < len(held) && size < m.bytes; i += 2 {
			out = append(out, held[i])
			size += len(held[i])
		}
		return out
	}
	if err := embedded.TrainFile(ctx, slice(0), m.control, "held-out human text, even paragraphs"); err != nil {
		return nil, err
	}
	if err := embedded.TrainFile(ctx, slice(1), m.control2, "held-out human text, odd paragraphs"); err != nil {
		return nil, err
	}
	return m, nil
}
