package heldout

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"forensics/internal/jsonl"
	"forensics/logscan"
)

// Config sets the size and the randomness of a generated log.
type Config struct {
	// Seed selects the log: the same Config gives the same bytes.
	Seed uint64
	// Scale multiplies the number of accounts of every kind: 1 gives about
	// 1,700 accounts and 700,000 lines over 14 days; every kind keeps at
	// least one account (campaigns of several heads keep two).
	Scale float64
	// Start is the first day of the log (its UTC date; the zero time
	// means 2 March 2026).
	Start time.Time
}

// DefaultStart is the first day of a log whose Config leaves Start zero.
var DefaultStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// gen is one generation's shared, read-only state.
type gen struct {
	cfg        Config
	start, end time.Time
	bench      []benchItem // the public benchmark items every eval lab and some harvesters use
}

// Generate writes a labelled log of 14 days of API traffic to log (one
// logline.Entry a line, in time order) and the business's record of
// every account to accounts (one logscan.AccountInfo a line), and
// returns which accounts attack, in which campaigns, and what kind of
// user every benign account is.
func Generate(cfg Config, log io.Writer, accounts io.Writer) (*logscan.Labels, error) {
	if cfg.Scale <= 0 || math.IsNaN(cfg.Scale) || cfg.Scale > 100 {
		return nil, fmt.Errorf("heldout: scale %v out of (0, 100]", cfg.Scale)
	}
	start := cfg.Start
	if start.IsZero() {
		start = DefaultStart
	}
	start = start.UTC().Truncate(24 * time.Hour)
	g := &gen{cfg: cfg, start: start, end: start.AddDate(0, 0, days)}
	g.bench = publicBenchmark(newRNG(0xbe4c, 1)) // public: the same items for every seed
	actors := g.population()
	if err := g.run(actors); err != nil {
		return nil, err
	}
	if err := writeLines(log, actors); err != nil {
		return nil, fmt.Errorf("heldout: writing the log: %w", err)
	}
	if err := writeAccounts(accounts, actors); err != nil {
		return nil, fmt.Errorf("heldout: writing the accounts: %w", err)
	}
	return labels(actors), nil
}

// run plays every actor, two at a time: each has its own random stream,
// so the order does not change the log.
func (g *gen) run(actors []*actor) error {
	var eg errgroup.Group
	eg.SetLimit(2)
	for i, a := range actors {
		eg.Go(func() error {
			a.rng = newRNG(g.cfg.Seed, uint64(i)+1)
			a.gen = g
			a.play(a)
			return a.err
		})
	}
	return eg.Wait()
}

// writeLines merges the actors' lines into time order (ties by actor,
// then by the order the actor wrote them).
func writeLines(w io.Writer, actors []*actor) error {
	type ref struct {
		at    int64
		actor int32
		seq   int32
	}
	var all []ref
	for i, a := range actors {
		for j, l := range a.lines {
			all = append(all, ref{l.at, int32(i), int32(j)})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c < 0
		}
		if a.actor != b.actor {
			return a.actor < b.actor
		}
		return a.seq < b.seq
	})
	bw := bufio.NewWriterSize(w, 1<<20)
	for _, r := range all {
		bw.Write(actors[r.actor].lines[r.seq].b)
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeAccounts writes every account's business record, sorted by name.
func writeAccounts(w io.Writer, actors []*actor) error {
	var infos []*logscan.AccountInfo
	for _, a := range actors {
		for _, acc := range a.accounts {
			infos = append(infos, &acc.info)
		}
	}
	slices.SortFunc(infos, func(a, b *logscan.AccountInfo) int { return cmp.Compare(a.Account, b.Account) })
	bw := bufio.NewWriter(w)
	for _, info := range infos {
		b, err := jsonl.MarshalLine(info)
		if err != nil {
			return err
		}
		bw.Write(b)
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// labels is the answer key.
func labels(actors []*actor) *logscan.Labels {
	l := &logscan.Labels{
		Attackers:   map[string]string{},
		Clusters:    map[string][]string{},
		BenignKinds: map[string]string{},
	}
	for _, a := range actors {
		for _, acc := range a.accounts {
			if acc.campaign == "" {
				l.Benign = append(l.Benign, acc.info.Account)
				l.BenignKinds[acc.info.Account] = acc.kind
				continue
			}
			l.Attackers[acc.info.Account] = acc.kind
			l.Clusters[acc.campaign] = append(l.Clusters[acc.campaign], acc.info.Account)
		}
	}
	for id, members := range l.Clusters {
		if len(members) < 2 {
			delete(l.Clusters, id)
			continue
		}
		slices.Sort(members)
	}
	slices.Sort(l.Benign)
	return l
}
