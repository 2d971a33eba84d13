package logscan

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// cloudHydra plays a large hydra written to beat rarity: each short-lived
// head rotates over three to six addresses drawn from 18 /24s of three
// cloud /16s (so /24s recur across heads), sends the client string many
// people and labs send too, and two or three of six harvest templates
// that every head shares — so each template is used by more accounts than
// the rarity cap, by the campaign itself.
func (p *population) cloudHydra(prefix string, heads int) []string {
	var nets []string
	for _, b := range []string{"3.120", "18.156", "35.204"} {
		for range 6 {
			nets = append(nets, fmt.Sprintf("%s.%d", b, p.rng.IntN(256)))
		}
	}
	tmpls := []string{
		"Task %d: write a comprehensive, expert-level explanation of %s with worked examples",
		"Task %d: give a thorough, in-depth explanation of %s with worked examples",
		"Q %d: provide a detailed expert explanation of %s covering every subtopic",
		"Hi! Task %d: write an exhaustive tutorial on %s for a training set",
		"Please: item %d, produce a long structured expert answer about %s with headings",
		"Job %d: explain %s in depth, as a textbook chapter, with exercises and answers",
	}
	span := time.Duration(p.days) * 24 * time.Hour
	var names []string
	for h := 0; h < heads; h++ {
		name := fmt.Sprintf("%s%03d", prefix, h)
		names = append(names, name)
		ips := make([]string, 3+p.rng.IntN(4))
		for i := range ips {
			ips[i] = fmt.Sprintf("%s.%d", nets[p.rng.IntN(len(nets))], 1+p.rng.IntN(250))
		}
		mine := p.rng.Perm(len(tmpls))[:2+p.rng.IntN(2)]
		life := time.Duration(4+p.rng.IntN(16)) * time.Hour
		ts := p.start.Add(time.Duration(p.rng.Int64N(int64(span - life))))
		count := 60 + p.rng.IntN(140)
		for k := 0; k < count; k++ {
			ts = ts.Add(life / time.Duration(count))
			p.add(name, ips[p.rng.IntN(len(ips))], "python-requests/2.31", ts, fmt.Sprintf(tmpls[mine[k%len(mine)]], k, "Topic"+fmt.Sprint(k)))
		}
	}
	return names
}

// TestCloudHydraLinkedPastRarityCap: a 130-head hydra whose templates and
// client string are used by more accounts than the rarity cap lands in
// one cluster once rarity counts independent users (heads sharing strong
// networks are one user of a template, and so on), and none of 500 people
// and 20 evaluation labs (half on a cloud range, all on public templates
// and the client string the hydra sends) joins it or any other cluster.
func TestCloudHydraLinkedPastRarityCap(t *testing.T) {
	p := newPopulation(23, 7)
	p.people("person", 500)
	for i := 0; i < 20; i++ {
		p.evalLab(fmt.Sprintf("lab%02d", i), i%2 == 0)
	}
	heads := p.cloudHydra("head", 130)
	rep := p.scan(t, nil)
	cl := clusterOf(rep, heads[0])
	if cl == nil || !slices.Equal(cl.Accounts, heads) {
		sizes := map[int]int{}
		for _, h := range heads {
			if c := clusterOf(rep, h); c != nil {
				sizes[c.ID] = len(c.Accounts)
			}
		}
		t.Fatalf("hydra not one cluster: its heads in clusters of sizes %v", sizes)
	}
	for _, c := range rep.Clusters {
		if c.ID != cl.ID {
			t.Errorf("other cluster %v: %v", c.Accounts, c.Links[:min(2, len(c.Links))])
		}
	}
	t.Logf("hydra: one cluster of %d; e.g. %s", len(cl.Accounts), cl.Links[0])
}
