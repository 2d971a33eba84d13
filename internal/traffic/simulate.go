package traffic

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"forensics/logline"
	"forensics/logscan"
)

// Config sizes a simulated log.
type Config struct {
	Accounts  int // benign accounts
	Attackers int // attack campaigns (each kind in turn; a hydra is several accounts)
	Days      int
	Seed      uint64
	Start     time.Time // default 2026-11-01
	// AccountsOut receives the accounts file (one logscan.AccountInfo a
	// line, as logscan.ReadAccounts reads it) for every account of the
	// log; nil: none.
	AccountsOut io.Writer
}

// Simulate writes a labelled log in the gateway's layout: cfg.Accounts
// benign accounts (see benign) and cfg.Attackers campaigns, one line a
// request in time order; and, with cfg.AccountsOut, what the business
// knows about each account.
func Simulate(cfg Config, out io.Writer) (*logscan.Labels, error) {
	if cfg.Days < 1 || cfg.Accounts < 1 {
		return nil, fmt.Errorf("simulate: need at least one day and one benign account")
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	topics, err := loadTopics()
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	sim := &simulator{rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), topics: topics, start: cfg.Start, days: cfg.Days}
	sim.pool = sim.sentencePool()
	labels := sim.populate(cfg)
	if err := sim.write(out); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if cfg.AccountsOut != nil {
		if err := sim.writeAccounts(cfg.AccountsOut); err != nil {
			return nil, fmt.Errorf("simulate: accounts file: %w", err)
		}
	}
	return labels, nil
}

// populate plays every account, benign ones first, and labels them.
func (s *simulator) populate(cfg Config) *logscan.Labels {
	labels := &logscan.Labels{Attackers: map[string]string{}, Clusters: map[string][]string{}, BenignKinds: map[string]string{}}
	for i := 0; i < cfg.Accounts; i++ {
		name := fmt.Sprintf("user-%04d", i)
		labels.Benign = append(labels.Benign, name)
		labels.BenignKinds[name] = s.benign(name, i)
	}
	kinds := logscan.AttackKinds()
	next := cfg.Accounts
	for i := 0; i < cfg.Attackers; i++ {
		kind := kinds[i%len(kinds)]
		heads := s.campaignSize(kind)
		members := make([]string, heads)
		for h := range members {
			members[h] = fmt.Sprintf("acct-%04d", next)
			labels.Attackers[members[h]] = kind
			next++
		}
		if heads > 1 && kind != logscan.KindScatter {
			// Scatter's heads share nothing by design; the evaluation
			// judges them one by one.
			labels.Clusters[fmt.Sprintf("%s-%d", kind, i)] = members
		}
		s.campaign(kind, members, i)
	}
	return labels
}

// write writes the requests in time order, numbering them.
func (s *simulator) write(out io.Writer) error {
	sort.SliceStable(s.lines, func(a, b int) bool { return s.lines[a].ts.Before(s.lines[b].ts) })
	bw := bufio.NewWriter(out)
	for i, l := range s.lines {
		l.entry.RequestID = fmt.Sprintf("sim-%07d", i)
		b, err := logline.Marshal(l.entry)
		if err != nil {
			return err
		}
		bw.Write(append(b, '\n'))
	}
	return bw.Flush()
}

type simLine struct {
	ts    time.Time
	entry *logline.Entry
}

type simulator struct {
	rng      *rand.Rand
	topics   []Topic
	pool     [][]string // answer sentences by topic
	start    time.Time
	days     int
	lines    []simLine
	accounts []*logscan.AccountInfo // in sign-up order of the simulation
}

// keyword draws one of a topic's keywords.
func (s *simulator) keyword(topic int) string {
	ks := s.topics[topic].keywords
	if len(ks) == 0 {
		return s.topics[topic].Name
	}
	return ks[s.rng.IntN(len(ks))]
}

// typo swaps two letters of one word in twelve.
func (s *simulator) typo(w string) string {
	if len(w) < 4 || s.rng.IntN(12) != 0 {
		return w
	}
	i := 1 + s.rng.IntN(len(w)-2)
	return w[:i] + w[i+1:i+2] + w[i:i+1] + w[i+2:]
}

// chat is a one-message conversation.
func chat(content string) []logline.Message {
	return []logline.Message{{Role: "user", Content: content}}
}

// humanTime draws a daytime moment on a random day, weighted to office
// hours in the user's own time zone offset.
func (s *simulator) humanTime(offset int) time.Time {
	day := s.rng.IntN(s.days)
	hour := int(math.Round(14+3.5*s.rng.NormFloat64())) - offset
	hour = ((hour % 24) + 24) % 24
	return s.start.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour + time.Duration(s.rng.IntN(3600))*time.Second)
}
