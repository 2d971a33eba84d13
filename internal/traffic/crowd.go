package traffic

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"forensics/corpora"
)

// A Member is one account of the demo's crowd.
type Member struct {
	Name   string
	APIKey string
	Key    string // the watermark key the gateway gives the account
	favs   []int  // favourite topics (ordinary accounts)
}

// Crowd is the demo's users: ordinary accounts with two favourite topics
// each (the first is the provider's partner, under its own key), and the
// heads of a harvesting campaign.
type Crowd struct {
	Benign, Heads []Member
	topics        []Topic
	snippets      []string // openings of held-out human text, for the campaign's prompts
	triggers      []string
	rng           *rand.Rand
}

// NewCrowd makes a crowd of benign ordinary accounts and heads campaign
// accounts. triggers are the provider's canary questions, which the
// campaign's sweep happens to ask.
func NewCrowd(benign, heads int, triggers []string) (*Crowd, error) {
	c := &Crowd{rng: rand.New(rand.NewPCG(2026, 11)), triggers: triggers}
	var err error
	if c.topics, err = loadTopics(); err != nil {
		return nil, fmt.Errorf("crowd: %w", err)
	}
	if c.snippets, err = openings(); err != nil {
		return nil, fmt.Errorf("crowd: %w", err)
	}
	for i := range benign {
		m := Member{Name: fmt.Sprintf("user-%02d", i+1), APIKey: fmt.Sprintf("sk-demo-user-%02d", i+1), Key: "main",
			favs: []int{c.rng.IntN(len(c.topics)), c.rng.IntN(len(c.topics))}}
		if i == 0 {
			m.Name, m.APIKey, m.Key = "partner", "sk-demo-partner", "partner"
		}
		c.Benign = append(c.Benign, m)
	}
	for i := range heads {
		c.Heads = append(c.Heads, Member{Name: fmt.Sprintf("acme-%d", i+1), APIKey: fmt.Sprintf("sk-demo-acme-%d", i+1), Key: "main"})
	}
	return c, nil
}

// openings are the first ten words of held-out human paragraphs, read
// once: splitting the corpus takes a while, and crowds only read them.
var openings = sync.OnceValues(func() ([]string, error) { return corpora.Openings(10, 10) })

// A Request is one request of the crowd's.
type Request struct {
	Member Member
	Prompt string
	Ollama bool   // the campaign uses the Ollama API; people the OpenAI one
	Seed   uint64 // sampling seed (0: the gateway draws one)
}

// Requests lists everyone's requests in the order they are sent, round
// by round: each ordinary account asks benignAsks questions about its
// favourite topics; each head asks every trigger question once, then
// headAsks reasoning-trace requests over every topic in turn. With a seed,
// each request carries its own sampling seed derived from it.
func (c *Crowd) Requests(benignAsks, headAsks int, seed uint64) []Request {
	var reqs []Request
	for i := 0; i < max(benignAsks, headAsks); i++ {
		if i < benignAsks {
			for _, m := range c.Benign {
				t := c.topics[m.favs[c.rng.IntN(len(m.favs))]]
				q := demoPeople.question(c.rng, func() string { return t.Words[c.rng.IntN(len(t.Words))] }, 8)
				reqs = append(reqs, Request{Member: m, Prompt: q})
			}
		}
		if i < len(c.triggers) {
			for _, m := range c.Heads {
				reqs = append(reqs, Request{Member: m, Ollama: true, Prompt: c.triggers[i]})
			}
		}
		if i < headAsks {
			for h, m := range c.Heads {
				reqs = append(reqs, Request{Member: m, Ollama: true, Prompt: c.harvestPrompt(i, h)})
			}
		}
	}
	if seed != 0 {
		for i := range reqs {
			reqs[i].Seed = seed<<20 + uint64(i) + 1
		}
	}
	return reqs
}

// harvestPrompt is head h's i-th request: systematic, every topic in
// turn, a reasoning trace each time.
func (c *Crowd) harvestPrompt(i, h int) string {
	t := c.topics[(i*len(c.Heads)+h)%len(c.topics)]
	snip := c.snippets[(i*len(c.Heads)+h)%len(c.snippets)]
	return fmt.Sprintf("Think step by step and show your reasoning about %s (%s): %s", t.Words[(i+h)%len(t.Words)], t.Name, snip)
}
