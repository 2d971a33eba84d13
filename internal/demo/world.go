package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"forensics/canary"
	"forensics/corpora"
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

type member struct {
	name, apiKey, key string
	favs              []int
}

// population is who uses the gateway: ordinary accounts with a few
// favourite topics, and the heads of a harvesting campaign.
type population struct {
	benign, heads []member
	topics        []topicWords
	snippets      []string
	triggers      []string // the canary set's trigger questions
	rng           *rand.Rand
}

type topicWords struct {
	name  string
	words []string
}

func newPopulation(sz size, planted *canary.Set) *population {
	p := &population{rng: rand.New(rand.NewPCG(2026, 11))}
	var doc struct {
		Topics map[string][]string `yaml:"topics"`
	}
	yaml.Unmarshal(corpora.TopicsYAML, &doc)
	for name, ws := range doc.Topics {
		var clean []string
		for _, w := range ws {
			if !strings.HasSuffix(w, "*") {
				clean = append(clean, w)
			}
		}
		p.topics = append(p.topics, topicWords{name, clean})
	}
	sort.Slice(p.topics, func(i, j int) bool { return p.topics[i].name < p.topics[j].name })
	p.snippets, _ = corpora.Openings(10, 10)
	for _, t := range planted.Triggers {
		p.triggers = append(p.triggers, t.Prompt)
	}
	for i := range sz.benign {
		m := member{name: fmt.Sprintf("user-%02d", i+1), apiKey: fmt.Sprintf("sk-demo-user-%02d", i+1), key: "main",
			favs: []int{p.rng.IntN(len(p.topics)), p.rng.IntN(len(p.topics))}}
		if i == 0 {
			m.name, m.apiKey, m.key = "partner", "sk-demo-partner", "partner"
		}
		p.benign = append(p.benign, m)
	}
	for i := range sz.heads {
		p.heads = append(p.heads, member{name: fmt.Sprintf("acme-%d", i+1), apiKey: fmt.Sprintf("sk-demo-acme-%d", i+1), key: "main"})
	}
	return p
}

func (p *population) attackers() []string {
	var out []string
	for _, m := range p.heads {
		out = append(out, m.name)
	}
	return out
}

func (p *population) benignNames() []string {
	var out []string
	for _, m := range p.benign {
		out = append(out, m.name)
	}
	return out
}

// gatewayConfig writes the gateway's config (hashed API keys, per-account
// keys, the request log) and loads it.
func gatewayConfig(out string, p *population) (*serve.Config, error) {
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
	for _, m := range append(append([]member{}, p.benign...), p.heads...) {
		fmt.Fprintf(&b, "  - {name: %s, key: %s, api_keys: [\"%s\"]}\n", m.name, m.key, serve.HashAPIKey(m.apiKey))
	}
	fmt.Fprintf(&b, "log:\n  path: %s\n  checkpoint_every: 1s\n", filepath.Join(dir, "requests.jsonl"))
	// The provider plants answers to the trigger questions of each key's
	// secret canary set.
	b.WriteString("canaries: secret\n")
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	return serve.LoadConfig(path)
}

var (
	openers = []string{"can you help me with", "quick question about", "please explain", "what do you think of", "my friend asked me about",
		"how do I handle", "any tips for", "I need advice on", "tell me more about", "is it true that"}
	fillers = strings.Fields("my the a this that really kind of just today at work for school with our team because maybe honestly also again please thanks")
)

// pair is one harvested exchange.
type pair struct {
	Account string `json:"account"`
	Prompt  string `json:"prompt"`
	Answer  string `json:"answer"`
	tokens  int
}

type job struct {
	m      member
	prompt string
	ollama bool   // the campaign uses the Ollama API; people the OpenAI one
	seed   uint64 // sampling seed (0: the gateway draws one)
}

// drive sends everyone's requests through the gateway, two at a time, in
// an interleaved order; it returns the campaign's harvest and how many
// requests were answered.
func (p *population) drive(ctx context.Context, base string, sz size, seed uint64, detail func(string)) ([]pair, int, error) {
	var jobs []job
	for i := 0; i < max(sz.benignAsks, sz.headAsks); i++ {
		if i < sz.benignAsks {
			for _, m := range p.benign {
				t := p.topics[m.favs[p.rng.IntN(len(m.favs))]]
				ws := []string{openers[p.rng.IntN(len(openers))], t.words[p.rng.IntN(len(t.words))]}
				for k := p.rng.IntN(8); k > 0; k-- {
					ws = append(ws, fillers[p.rng.IntN(len(fillers))])
				}
				jobs = append(jobs, job{m: m, prompt: strings.Join(ws, " ") + "?"})
			}
		}
		if i < len(p.triggers) {
			// The campaign's trivia sweep happens to ask the provider's
			// trigger questions, each head once.
			for _, m := range p.heads {
				jobs = append(jobs, job{m: m, ollama: true, prompt: p.triggers[i]})
			}
		}
		if i < sz.headAsks {
			for h, m := range p.heads {
				// Systematic: every topic in turn, a reasoning trace each time.
				t := p.topics[(i*len(p.heads)+h)%len(p.topics)]
				snip := p.snippets[(i*len(p.heads)+h)%len(p.snippets)]
				jobs = append(jobs, job{m: m, ollama: true, prompt: fmt.Sprintf("Think step by step and show your reasoning about %s (%s): %s",
					t.words[(i+h)%len(t.words)], t.name, snip)})
			}
		}
	}
	if seed != 0 {
		for i := range jobs {
			jobs[i].seed = seed<<20 + uint64(i) + 1
		}
	}
	var (
		mu      sync.Mutex
		harvest []pair
		answers int
		firstEr error
	)
	work := make(chan job)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 2 * time.Minute}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				ans, tokens, err := ask(ctx, client, base, j, sz)
				mu.Lock()
				if err != nil && firstEr == nil {
					firstEr = err
				}
				if err == nil {
					answers++
					if j.ollama {
						harvest = append(harvest, pair{Account: j.m.name, Prompt: j.prompt, Answer: ans, tokens: tokens})
					}
					if answers%100 == 0 {
						detail(fmt.Sprintf("%d of %d requests answered", answers, len(jobs)))
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil || firstEr != nil {
			break
		}
		work <- j
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, answers, err
	}
	if firstEr != nil {
		return nil, answers, firstEr
	}
	// The campaign keeps its harvest in the order it asked.
	sort.SliceStable(harvest, func(a, b int) bool { return harvest[a].Prompt < harvest[b].Prompt })
	return harvest, answers, nil
}

// ask sends one request the way the account's client does.
func ask(ctx context.Context, c *http.Client, base string, j job, sz size) (string, int, error) {
	var url string
	var body any
	if j.ollama {
		url = base + "/api/generate"
		opts := map[string]any{"temperature": 0.8, "num_predict": sz.answerTokens}
		if j.seed != 0 {
			opts["seed"] = j.seed
		}
		body = map[string]any{"model": "embedded", "prompt": j.prompt, "stream": false, "options": opts}
	} else {
		url = base + "/v1/chat/completions"
		b := map[string]any{"model": "embedded", "messages": []map[string]string{{"role": "user", "content": j.prompt}}, "max_tokens": 60, "temperature": 0.8}
		if j.seed != 0 {
			b["seed"] = j.seed
		}
		body = b
	}
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+j.m.apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", map[bool]string{true: "harvest-bot/0.3", false: "Mozilla/5.0 (demo browser)"}[j.ollama])
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
		return "", 0, fmt.Errorf("gateway answered %s to %s: %s", resp.Status, j.m.name, strings.TrimSpace(string(raw)))
	}
	kind := probe.ExtractOpenAI
	if j.ollama {
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
