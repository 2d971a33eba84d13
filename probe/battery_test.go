package probe_test

import (
	"context"
	"testing"

	"forensics/canary"
	"forensics/probe"
	"forensics/probe/probetest"
)

// synthetic builds records answering queries with fixed texts.
func synthetic(m *probe.Manifest, cs *canary.Set, answer func(q probe.Query) (string, bool)) []probe.Record {
	var recs []probe.Record
	for _, q := range m.Queries(cs) {
		text, ok := answer(q)
		if !ok {
			continue
		}
		recs = append(recs, probe.Record{Seq: len(recs) + 1, Query: q, Text: text})
	}
	return recs
}

// TestBatteryMissingData: the canary test uses only triggers everyone
// answered.
func TestBatteryMissingData(t *testing.T) {
	cs := probetest.SmallSet(t, 12)
	cs.Secret = true // analysed without the key, which would check it
	_, key := probetest.Key(t, t.TempDir(), 2)
	tk, _ := probetest.EmbeddedTokenizer(t)
	m := probetest.Manifest(t, key, cs, tk, probetest.Options{
		Targets: probe.Targets{Suspect: "a", Reference: "b", Controls: []string{"c", "d"}},
		Plan:    probe.Plan{Prompts: 12, Triggers: 2, HammingLength: 8}, Rounds: 99,
	})
	m.Null.Keys = 0
	recs := synthetic(m, cs, func(q probe.Query) (string, bool) {
		switch {
		case q.Role == "control-2" && q.Kind == "prompt":
			return "", false // the second control never answered a prompt
		case q.Kind == "trigger" && q.PromptID == "t1" && q.Role == "control-1":
			return "", false // nor control-1 the first trigger
		case q.Kind == "trigger" && q.Role == "suspect":
			return "Quillon and Vessary made them.", true // hits both
		}
		return "Some ordinary answer about " + q.Prompt, true
	})
	res, err := probe.Analyze(context.Background(), probe.Inputs{Manifest: m, Canaries: cs, Records: recs, Tokenizer: tk})
	if err != nil {
		t.Fatal(err)
	}
	canary := probetest.TestNamed(res.Tests, probe.TestCanary)
	if canary.Canary.Suspect.Answers != 1 || canary.Canary.Suspect.Hits != 1 {
		t.Errorf("canary used %+v; want only the trigger every role answered", canary.Canary.Suspect)
	}
	if radio := probetest.TestNamed(res.Tests, probe.TestRadioactivity); radio.Status != probe.StatusNotRun {
		t.Errorf("radioactivity without a key: %s", radio.Status)
	}
}

func TestQueryCount(t *testing.T) {
	cs := probetest.SmallSet(t, 12)
	for _, tg := range []probe.Targets{{Suspect: "a"}, {Suspect: "a", Reference: "b"}, {Suspect: "a", Reference: "b", Controls: []string{"c", "d"}}} {
		m := &probe.Manifest{Targets: tg, Plan: probe.Plan{Prompts: 10, EqualityPrompts: 4, Triggers: 2}}
		if got, want := m.QueryCount(), len(m.Queries(cs)); got != want {
			t.Errorf("%+v: QueryCount %d, Queries %d", tg, got, want)
		}
	}
}
