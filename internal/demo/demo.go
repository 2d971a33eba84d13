// Package demo runs the whole job on the embedded model, end to end and
// offline: a watermarking gateway serves ordinary users and an extraction
// campaign over real HTTP; a student model is distilled from what the
// campaign harvested; the gateway's log is scanned; the student (and a
// control) are probed; and evidence bundles with reports are written.
// Every number it reports is computed in the run.
package demo

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"forensics/canary"
	"forensics/evidence"
	"forensics/llm/embedded"
	"forensics/logscan"
	"forensics/probe"
	"forensics/report"
	"forensics/serve"
	"forensics/watermark"
)

// Options size the demo.
type Options struct {
	Out   string
	Quick bool
	// Stage is told when each stage starts (1-based) and what it does.
	Stage func(n, total int, what string)
	// Detail receives one-line progress within a stage.
	Detail func(string)
	// Tool names the program for the evidence manifests.
	Tool string
	// Seed, when set, makes the run repeatable: the watermark keys, every
	// request's sampling seed and the probes' seeds derive from it
	// (default: fresh random keys and seeds, as in real use).
	Seed uint64
}

// Summary is what the demo found.
type Summary struct {
	Out        string
	GatewayURL string
	Requests   int // answered through the gateway
	Harvested  int // (prompt, answer) pairs the campaign collected
	HarvestTok int
	Attackers  []string
	Benign     []string
	Scan       *logscan.Report
	ScanDir    string
	Student    Probed
	Control    Probed
	Elapsed    time.Duration
}

// Probed is one probe's outcome.
type Probed struct {
	Suspect string
	Bundle  string
	Reports []string
	Results *probe.Results
	Stats   probe.RunStats
}

// size holds the numbers that differ between --quick and the full demo.
type size struct {
	benign, benignAsks, heads, headAsks, answerTokens          int
	prompts, equality, triggers, nullKeys, rounds, probeTokens int
}

func sizes(quick bool) size {
	if quick {
		return size{benign: 8, benignAsks: 8, heads: 3, headAsks: 150, answerTokens: 120,
			prompts: 80, equality: 20, triggers: 20, nullKeys: 50, rounds: 999, probeTokens: 100}
	}
	return size{benign: 20, benignAsks: 12, heads: 4, headAsks: 600, answerTokens: 200,
		prompts: 550, equality: 100, triggers: 40, nullKeys: 100, rounds: 9999, probeTokens: 150}
}

// marker identifies a folder the demo made, so it may clear it.
const marker = ".forensics-demo"

// prepareOut makes (or clears a previous demo's) output folder.
func prepareOut(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(ents) > 0:
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return fmt.Errorf("%s is not empty and was not made by the demo; choose another --out", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, marker), []byte("made by forensics demo; it clears this folder on its next run\n"), 0o644)
}

// Run runs the demo.
func Run(ctx context.Context, o Options) (*Summary, error) {
	start := time.Now()
	if o.Out == "" {
		o.Out = ".demo"
	}
	stage := o.Stage
	if stage == nil {
		stage = func(int, int, string) {}
	}
	detail := o.Detail
	if detail == nil {
		detail = func(string) {}
	}
	if o.Tool == "" {
		o.Tool = "forensics demo"
	}
	sz := sizes(o.Quick)
	const stages = 6
	if err := prepareOut(o.Out); err != nil {
		return nil, err
	}
	sum := &Summary{Out: o.Out}

	stage(1, stages, "keys and the watermarking gateway (embedded model, per-account keys)")
	model, err := embedded.Load()
	if err != nil {
		return nil, err
	}
	keys, err := makeKeys(o.Out, model, o.Seed)
	if err != nil {
		return nil, err
	}
	signPub, err := evidence.WriteSigningKey(filepath.Join(o.Out, "keys", "signer.key"), false)
	if err != nil {
		return nil, err
	}
	sign, err := evidence.LoadSigningKey(filepath.Join(o.Out, "keys", "signer.key"))
	if err != nil {
		return nil, err
	}
	detail(fmt.Sprintf("watermark keys %s (most accounts) and %s (the partner account); bundle signer %s", keys.main.ID, keys.partner.ID, evidence.KeyFingerprint(signPub)))
	// The gateway plants each key's secret canary set; the harvest asks
	// the main key's triggers (a stand-in for questions a harvester
	// happens to ask: see docs/no-false-accusations.md).
	planted, err := probe.LoadCanaries(canary.Secret, keys.main)
	if err != nil {
		return nil, err
	}
	pop := newPopulation(sz, planted)
	cfg, err := gatewayConfig(o.Out, pop)
	if err != nil {
		return nil, err
	}
	srv, err := serve.New(cfg, serve.Options{Backend: serve.NewEmbeddedBackend(model), Keys: map[string]*watermark.Key{"main": keys.main, "partner": keys.partner}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	sum.GatewayURL = "http://" + ln.Addr().String()
	stopGateway := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(hs.Shutdown(sctx), srv.Close())
	}
	detail("gateway listening on " + sum.GatewayURL + ", request log " + filepath.Join(o.Out, "gateway", "requests.jsonl"))

	stage(2, stages, fmt.Sprintf("traffic through the gateway: %d ordinary accounts and a %d-account harvesting campaign", sz.benign, sz.heads))
	harvest, n, err := pop.drive(ctx, sum.GatewayURL, sz, o.Seed, detail)
	if err != nil {
		stopGateway()
		return nil, err
	}
	// The gateway keeps running (and logging, with a checkpoint every
	// second) until the probes are done: their relay check searches its
	// log, which must span them.
	gatewayUp := true
	defer func() {
		if gatewayUp {
			stopGateway()
		}
	}()
	sum.Requests, sum.Harvested = n, len(harvest)
	sum.Attackers, sum.Benign = pop.attackers(), pop.benignNames()
	for _, h := range harvest {
		sum.HarvestTok += h.tokens
	}
	if err := writeHarvest(filepath.Join(o.Out, "harvest.jsonl"), harvest); err != nil {
		return nil, err
	}

	stage(3, stages, "distil a student from the harvest, and a control student from human text of the same size")
	models, err := distil(ctx, o.Out, harvest)
	if err != nil {
		return nil, err
	}
	detail(fmt.Sprintf("student: 4-gram model on %d harvested answers (%d bytes of text); controls: 4-gram models on the same amount of held-out human text", len(harvest), models.bytes))

	stage(4, stages, "scan the gateway's request log for distillation patterns")
	rep, err := logscan.Scan(ctx, logscan.DefaultConfig(), []string{filepath.Join(o.Out, "gateway", "requests.jsonl")}, nil)
	if err != nil {
		return nil, err
	}
	sum.Scan, sum.ScanDir = rep, filepath.Join(o.Out, "scan")
	if err := logscan.WriteOutputs(rep, sum.ScanDir); err != nil {
		return nil, err
	}

	stage(5, stages, "probe the student and the control (canary prompts, watermark key, tokenizer); evidence bundles and reports")
	reference := "embedded:reference?key=" + keys.mainPath
	for _, c := range []struct {
		into    *Probed
		name    string
		suspect string
		control string
	}{
		{&sum.Student, "student", models.student, models.control},
		{&sum.Control, "control", models.control, models.control2},
	} {
		p, err := runProbe(ctx, o, sz, keys.main, model, sign, c.name, "embedded:"+c.suspect, reference, "embedded:"+c.control, detail)
		if err != nil {
			return nil, fmt.Errorf("probe the %s: %w", c.name, err)
		}
		*c.into = *p
	}

	gatewayUp = false
	if err := stopGateway(); err != nil {
		return nil, err
	}

	stage(6, stages, "summary")
	sum.Elapsed = time.Since(start)
	return sum, nil
}

func runProbe(ctx context.Context, o Options, sz size, key *watermark.Key, model *embedded.Model, sign ed25519.PrivateKey, name, suspect, reference, control string, detail func(string)) (*Probed, error) {
	cs, err := probe.LoadCanaries(canary.Secret, key)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.Out, "evidence-"+name)
	// The gateway's request log, searched for the probe's prompts after
	// the queries: a relay of our service would have sent them to us.
	all, err := filepath.Glob(filepath.Join(o.Out, "gateway", "requests.jsonl*"))
	if err != nil {
		return nil, err
	}
	var logs []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".checkpoints") { // the signed checkpoints' side file
			logs = append(logs, f)
		}
	}
	setup := probe.Setup{
		Dir: dir, Key: key, Tokenizer: model.Tokenizer(), Canaries: cs,
		Targets: probe.Targets{Suspect: suspect, Reference: reference, Controls: []string{control}},
		Plan:    probe.Plan{Prompts: sz.prompts, EqualityPrompts: sz.equality, Triggers: sz.triggers, HammingLength: 32},
		Alpha:   0.01, NullKeys: sz.nullKeys, Rounds: sz.rounds,
		Sampling: probe.Sampling{Temperature: 0.8, MaxTokens: sz.probeTokens, Seed: o.Seed},
		Tool:     o.Tool, Command: []string{"forensics", "demo", "--out", o.Out},
		NullSeed: nullSeed(o.Seed),
		Run:      probe.RunOptions{Concurrency: 2},
		Sign:     sign, RequestLogs: logs,
	}
	res, stats, err := evidence.Probe(ctx, setup)
	if err != nil {
		return nil, err
	}
	opts := report.DefaultOptions()
	opts.Title = "Forensic examination of the demo's " + name
	opts.CaseID = "demo-" + name
	files, err := report.Render(dir, opts, sign)
	if err != nil {
		return nil, err
	}
	detail(fmt.Sprintf("%s: %d queries, %d completion tokens; bundle %s", name, stats.Planned, stats.Tokens, dir))
	var reps []string
	for _, f := range files {
		if filepath.Ext(f) == ".html" || filepath.Ext(f) == ".pdf" {
			reps = append(reps, filepath.Join(dir, f))
		}
	}
	return &Probed{Suspect: suspect, Bundle: dir, Reports: reps, Results: res, Stats: stats}, nil
}

// nullSeed is the probes' null seed for a repeatable run ("" draws one).
func nullSeed(seed uint64) string {
	if seed == 0 {
		return ""
	}
	return fmt.Sprintf("demo-%d", seed)
}
