package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"forensics/caseledger"
	"forensics/evidence"
	"forensics/logscan"
	"forensics/probe"
	"forensics/serve"
)

// Cases in the demo (docs/cases.md): halfway through the traffic the
// operator scans the gateway's log and posts the result to /admin/risk
// with every flagged account set to "alert" rather than throttled or
// suspended: the gateway opens a case for the flagged cluster and keeps
// serving it, under the case's key. The rest of the campaign's harvest
// carries that key, and the probe of its student says which accounts'
// text it learnt from.

// demoAdminKey is the demo gateway's admin API key.
const demoAdminKey = "demo-admin-key"

// repeatWindow is the demo gateway's repeat window: a case takes effect at
// the next boundary (at least a quarter window after the decision).
const repeatWindow = 2 * time.Second

// flagMidway scans the log so far, posts the scan to /admin/risk with the
// flagged accounts on "alert", and moves the gateway's clock past the
// next window boundary, where the cases take effect.
func (r *demoRun) flagMidway(ctx context.Context) error {
	logPath := filepath.Join(r.o.Out, "gateway", "requests.jsonl")
	rep, err := logscan.Scan(ctx, scanConfig(), []string{logPath}, nil)
	if err != nil {
		return err
	}
	body, flagged, err := alertBody(rep)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.sum.GatewayURL+"/admin/risk", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+demoAdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mid-run /admin/risk: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mid-run /admin/risk: %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	// Wait for the boundary: the rest of the traffic is then served under
	// the case keys.
	select {
	case <-time.After(repeatWindow + repeatWindow/2):
	case <-ctx.Done():
		return ctx.Err()
	}
	r.o.Detail(fmt.Sprintf("halfway: the scan flagged %d accounts; the operator kept them served (alert) and the gateway opened cases for them, effective at the next window boundary", flagged))
	return nil
}

// alertBody is a scan's result as /admin/risk reads it, every throttle or
// suspend turned into "alert" (the accounts stay served, under a case
// key), and how many accounts are flagged.
func alertBody(rep *logscan.Report) ([]byte, int, error) {
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, 0, err
	}
	var res struct {
		Accounts []serve.Assessment        `json:"accounts"`
		Clusters []serve.ClusterAssessment `json:"clusters"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, 0, err
	}
	flagged := 0
	for i, a := range res.Accounts {
		if a.Action == "throttle" || a.Action == "suspend" {
			res.Accounts[i].Action, res.Accounts[i].Throttle = "alert", 0
		}
		if res.Accounts[i].Action == "alert" {
			flagged++
		}
	}
	for i, c := range res.Clusters {
		if c.Action == "throttle" || c.Action == "suspend" {
			res.Clusters[i].Action = "alert"
		}
	}
	body, err := json.Marshal(res)
	return body, flagged, err
}

// caseSetup reads the gateway's case ledger for the probes (nil when no
// case was opened).
func (r *demoRun) caseSetup() (*probe.CaseSetup, error) {
	path := filepath.Join(r.o.Out, "gateway", "cases.jsonl")
	events, err := caseledger.ReadFile(path, r.sign.Public().(ed25519.PublicKey))
	if err != nil || len(events) == 0 {
		return nil, err
	}
	cases, err := caseledger.Replay(events)
	if err != nil {
		return nil, err
	}
	r.sum.Cases = cases
	return evidence.LoadCases(path, r.sign.Public().(ed25519.PublicKey), nil)
}

// scanConfig is scan-logs' default configuration at the demo's scale: its
// campaign takes a few hundred short answers from the embedded model, where
// the default min_taken (100,000 answer tokens before a throttle) is a real
// harvest's size.
func scanConfig() logscan.Config {
	c := logscan.DefaultConfig()
	c.Actions.MinTaken = 5_000
	return c
}
