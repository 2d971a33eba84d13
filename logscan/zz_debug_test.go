package logscan_test

import (
	"os"
	"strings"
	"testing"

	"forensics/internal/traffic"
)

func TestZZDebug(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	sim := scanSimulated(t, traffic.Config{Accounts: 200, Attackers: 8, Days: 2, Seed: 1})
	rep := sim.scanner.Report()
	want := strings.Split(os.Getenv("ZZ"), ",")
	for _, a := range rep.Accounts {
		k := sim.labels.Attackers[a.Account]
		if k == "" {
			k = sim.labels.BenignKinds[a.Account]
		}
		for _, w := range want {
			if w == k {
				t.Logf("%s %s: score %.2f what %.2f how %.2f tail %.4f %s fired %v", k, a.Account, a.Score, a.What, a.How, a.BenignTail, a.Action, a.Fired)
				for _, in := range a.Indicators {
					if in.Name == "answer_share" || in.Name == "public_items" {
						t.Logf("    %s %.3f %s", in.Name, in.Value, in.Evidence)
					}
				}
			}
		}
	}
	t.Logf("reference %+v", rep.Reference)
}
