//go:build unix

package logscan

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// benchPopulation is a synthetic log of n accounts with the sharing a
// large service sees, in proportion to its size: people (some on a cloud
// range), offices of six on one /24, evaluation labs on public templates,
// batch jobs on a five-minute timer, 20-head rotating hydras and
// throw-away chains.
func benchPopulation(n int) *Scanner {
	p := newPopulation(uint64(n), 7)
	made := 0
	for i := 0; made < n; i++ {
		name := fmt.Sprintf("a%06d", i)
		switch {
		case i%1000 == 999 && made+20 <= n:
			made += len(p.hydra(name+"h", 20))
		case i%500 == 499 && made+5 <= n:
			made += len(p.chain(name+"c", 5, 3*time.Minute))
		case i%100 == 7:
			p.evalLab(name, i%200 == 7)
			made++
		case i%100 == 8:
			p.timer(name)
			made++
		case i%50 < 6:
			p.office(name, i/50)
			made++
		default:
			p.person(name)
			made++
		}
	}
	s, err := NewScanner(DefaultConfig())
	if err != nil {
		panic(err)
	}
	for _, r := range p.recs {
		s.Add(r)
	}
	return s
}

// office is a colleague on the office's /24 with the office browser.
func (p *population) office(name string, office int) {
	ip := fmt.Sprintf("172.%d.%d.%d", 16+office>>8, office&0xff, 1+p.rng.IntN(250))
	for k := 5 + p.rng.IntN(30); k > 0; k-- {
		p.add(name, ip, "Mozilla/5.0 (Windows NT 10.0; Win64)", p.humanTime(), p.pick(genOpeners)+" "+p.sentence(3+p.rng.IntN(10)))
	}
}

// timer is a batch job: one template every five minutes for a day.
func (p *population) timer(name string) {
	ip, ts := p.homeIP(), p.humanTime()
	for k := 0; k < 288; k++ {
		p.add(name, ip, "internal-batch/1.2", ts, fmt.Sprintf("Summarize the following ticket in two sentences: %s", p.sentence(12)))
		ts = ts.Add(5 * time.Minute)
	}
}

// cpuTime is the process's CPU time so far (user and system, all
// threads): on a shared machine wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClusters measures linking and judging the clusters on
// synthetic logs of 2k to 64k accounts; ns/account should stay about flat
// (near-linear cost). Run with -cpu 1:
//
//	go test ./logscan -run '^$' -bench Clusters -cpu 1 -benchtime 3x
func BenchmarkClusters(b *testing.B) {
	for _, n := range []int{2000, 4000, 8000, 16000, 64000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			s := benchPopulation(n)
			names := make([]string, 0, len(s.accounts))
			for name := range s.accounts {
				names = append(names, name)
			}
			slices.Sort(names)
			b.ResetTimer()
			clusters := 0
			cpu0 := cpuTime()
			for b.Loop() {
				rep := &Report{Accounts: make([]AccountReport, len(names))}
				for i, name := range names {
					rep.Accounts[i].Account = name
				}
				clusters = len(s.clusters(rep, &reference{dists: map[string]dist{}}))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(names)), "ns/account")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(len(names)), "cpu-ns/account")
			b.ReportMetric(float64(clusters), "clusters")
		})
	}
}
