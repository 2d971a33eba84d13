package traffic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"forensics/logline"
	"forensics/logscan"
)

// simulated is one log of every kind, shared by the tests below.
type simulated struct {
	labels   *logscan.Labels
	entries  []logline.Entry
	accounts logscan.Accounts
	kind     map[string]string // account → its benign or attack kind
}

var everyKind = sync.OnceValues(func() (*simulated, error) {
	var log, accts bytes.Buffer
	labels, err := Simulate(Config{Accounts: 100, Attackers: len(logscan.AttackKinds()), Days: 2, Seed: 11, AccountsOut: &accts}, &log)
	if err != nil {
		return nil, err
	}
	sim := &simulated{labels: labels, kind: map[string]string{}}
	for _, line := range bytes.Split(bytes.TrimSuffix(log.Bytes(), []byte("\n")), []byte("\n")) {
		var e logline.Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, err
		}
		sim.entries = append(sim.entries, e)
	}
	if sim.accounts, err = logscan.ReadAccounts(context.Background(), &accts); err != nil {
		return nil, err
	}
	for a, k := range labels.BenignKinds {
		sim.kind[a] = k
	}
	for a, k := range labels.Attackers {
		sim.kind[a] = k
	}
	return sim, nil
})

func simulateEveryKind(t *testing.T) *simulated {
	t.Helper()
	sim, err := everyKind()
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// TestEveryKindSendsAndIsLabelled: each attack kind and each pipeline
// kind has accounts that send requests, every benign account has a
// known benign kind, and campaigns of several accounts are clusters of
// the sizes their kinds have.
func TestEveryKindSendsAndIsLabelled(t *testing.T) {
	sim := simulateEveryKind(t)
	lines := map[string]int{}
	for _, e := range sim.entries {
		lines[sim.kind[e.Account]]++
	}
	want := append(logscan.AttackKinds(), logscan.BenignPerson, logscan.BenignOffice, logscan.BenignEval, logscan.BenignRAG,
		logscan.BenignClassify, logscan.BenignTranslate, logscan.BenignChatBackend, logscan.BenignAgent)
	for _, k := range want {
		if lines[k] == 0 {
			t.Errorf("no requests of kind %s", k)
		}
	}
	if len(sim.labels.BenignKinds) != len(sim.labels.Benign) {
		t.Errorf("%d benign accounts, %d with a kind", len(sim.labels.Benign), len(sim.labels.BenignKinds))
	}
	for a, k := range sim.labels.BenignKinds {
		if !slices.Contains(logscan.BenignKinds(), k) {
			t.Errorf("%s: unknown benign kind %q", a, k)
		}
	}
	sizes := map[string][2]int{logscan.KindHydra: {4, 8}, logscan.KindShardedHydra: {20, 60}, logscan.KindCloudHydra: {100, 140}, logscan.KindThrowaway: {4, 4}}
	for campaign, members := range sim.labels.Clusters {
		kind := sim.labels.Attackers[members[0]]
		r, ok := sizes[kind]
		if !ok || len(members) < r[0] || len(members) > r[1] {
			t.Errorf("campaign %s of kind %s has %d accounts", campaign, kind, len(members))
		}
		delete(sizes, kind)
	}
	if len(sizes) > 0 {
		t.Errorf("no cluster for %v", sizes)
	}
}

// TestAccountsFile: the accounts file has every account of the log and
// no other, each signed up before its first request with a key by then,
// and shows the ties a business sees: colleagues and a company's
// pipelines share an organisation.
func TestAccountsFile(t *testing.T) {
	sim := simulateEveryKind(t)
	if n := len(sim.labels.Benign) + len(sim.labels.Attackers); len(sim.accounts) != n {
		t.Errorf("%d accounts in the file, %d labelled", len(sim.accounts), n)
	}
	first := map[string]time.Time{}
	for _, e := range sim.entries {
		ts, err := time.Parse(time.RFC3339Nano, e.TS)
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := first[e.Account]; !ok || ts.Before(f) {
			first[e.Account] = ts
		}
	}
	for a, ts := range first {
		info := sim.accounts[a]
		switch {
		case info == nil:
			t.Errorf("%s sends requests but is not in the accounts file", a)
		case !info.Created.Before(ts) || len(info.KeysCreated) == 0 || info.KeysCreated[0].After(ts):
			t.Errorf("%s: created %v, keys %v, first request %v", a, info.Created, info.KeysCreated, ts)
		}
	}
	orgs := map[string]map[string]bool{} // kind → its accounts' organisations
	for a, info := range sim.accounts {
		k := sim.kind[a]
		if orgs[k] == nil {
			orgs[k] = map[string]bool{}
		}
		orgs[k][info.OrgID] = true
	}
	if len(orgs[logscan.BenignOffice]) != 4 { // accounts 0–5, 25–30, 50–55, 75–80
		t.Errorf("office colleagues in %d organisations, want 4", len(orgs[logscan.BenignOffice]))
	}
	for _, k := range []string{logscan.BenignRAG, logscan.BenignClassify, logscan.BenignTranslate, logscan.BenignAgent} {
		if len(orgs[k]) != 2 || !orgs[k][sim.accounts["user-0015"].OrgID] || !orgs[k][sim.accounts["user-0065"].OrgID] {
			t.Errorf("%s pipelines in organisations %v, want the two companies'", k, orgs[k])
		}
	}
}

// TestReplayedTurnsWereServed: every assistant turn that a chat backend,
// an agent workflow or a person sends back is an answer the gateway
// served that account earlier (its completion_sha256); those of the
// agent-trace campaign never are.
func TestReplayedTurnsWereServed(t *testing.T) {
	sim := simulateEveryKind(t)
	served := map[string]map[string]bool{}
	replayed := map[string]int{}
	for _, e := range sim.entries { // in time order
		for _, m := range e.Messages {
			if m.Role != "assistant" {
				continue
			}
			sum := sha256.Sum256([]byte(strings.TrimSpace(m.Content)))
			hit := served[e.Account][hex.EncodeToString(sum[:])]
			switch k := sim.kind[e.Account]; k {
			case logscan.BenignChatBackend, logscan.BenignAgent, logscan.BenignPerson:
				if !hit {
					t.Fatalf("%s (%s) replays an answer it was not served: %.60q", e.Account, k, m.Content)
				}
				replayed[k]++
			case logscan.KindAgentTrace, logscan.KindPolyglotCoT:
				if hit {
					t.Fatalf("%s (%s) sent an assistant turn the gateway served", e.Account, k)
				}
			}
		}
		if served[e.Account] == nil {
			served[e.Account] = map[string]bool{}
		}
		served[e.Account][e.CompletionSHA256] = true
	}
	for _, k := range []string{logscan.BenignChatBackend, logscan.BenignAgent, logscan.BenignPerson} {
		if replayed[k] == 0 {
			t.Errorf("no %s replays an earlier answer", k)
		}
	}
}

// TestOutputSide: every line names one of the models, reports a length
// stop exactly when the tokens reached the limit, and the gateway's
// default limit when the request set none.
func TestOutputSide(t *testing.T) {
	sim := simulateEveryKind(t)
	models := map[string]int{}
	for _, e := range sim.entries {
		models[e.Model]++
		limit, ok := e.Params["max_tokens"].(float64)
		if !ok {
			t.Fatalf("%s: no max_tokens in %v", e.Account, e.Params)
		}
		n, _ := e.Params["n"].(float64)
		hit := e.CompletionTokens >= int(limit)
		if n > 1 {
			continue
		}
		if (e.Stop == "length") != hit || (e.Stop != "length" && e.Stop != "stop") || e.CompletionTokens < 1 {
			t.Fatalf("%s: stop %q with %d of %v tokens", e.Account, e.Stop, e.CompletionTokens, limit)
		}
	}
	for _, m := range []string{DefaultModel, SmallModel, FlagshipModel} {
		if models[m] == 0 {
			t.Errorf("no request for %s", m)
		}
	}
	if len(models) != 3 {
		t.Errorf("models %v", models)
	}
}
