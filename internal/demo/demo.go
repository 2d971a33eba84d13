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
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"forensics/canary"
	"forensics/caseledger"
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
	Out string
	// Quick is the shorter demo (forensics demo --quick).
	Quick bool
	// Tiny is smaller than Quick: every stage still runs end to end,
	// for a unit test of the whole pipeline. It overrides Quick.
	Tiny bool
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

// command is the demo's command line as the evidence records it (the
// probe keeps base names of paths): its options, seed included, so that
// the run can be repeated.
func (o Options) command() []string {
	cmd := []string{"forensics", "demo", "--out", o.Out}
	if o.Quick && !o.Tiny { // Tiny is for tests only: no flag makes it
		cmd = append(cmd, "--quick")
	}
	if o.Seed != 0 {
		cmd = append(cmd, "--seed", strconv.FormatUint(o.Seed, 10))
	}
	return cmd
}

// Summary is what the demo found.
type Summary struct {
	Out        string          `json:"out"`
	GatewayURL string          `json:"gateway_url"`
	Requests   int             `json:"requests"`         // answered through the gateway
	Harvested  int             `json:"harvested"`        // (prompt, answer) pairs the campaign collected
	HarvestTok int             `json:"harvested_tokens"` // answer tokens in the harvest
	Attackers  []string        `json:"attackers"`
	Benign     []string        `json:"benign"`
	Scan       *logscan.Report `json:"scan"`
	ScanDir    string          `json:"scan_dir"`
	// Cases are the cases the gateway opened halfway (docs/cases.md).
	Cases   []caseledger.Case `json:"cases"`
	Student Probed            `json:"student"`
	Control Probed            `json:"control"`
	// Elapsed is the run's wall time; ElapsedSeconds is the same for
	// JSON readers (a Duration would encode as nanoseconds).
	Elapsed        time.Duration `json:"-"`
	ElapsedSeconds float64       `json:"elapsed_seconds"`
}

// Probed is one probe's outcome.
type Probed struct {
	Suspect string         `json:"suspect"`
	Bundle  string         `json:"bundle"`
	Reports []string       `json:"reports"`
	Results *probe.Results `json:"results"`
	Stats   probe.RunStats `json:"stats"`
}

// size holds the numbers that differ between the tiny, the quick and the
// full demo.
type size struct {
	benign, benignAsks, heads, headAsks, answerTokens          int
	prompts, equality, triggers, nullKeys, rounds, probeTokens int
}

func sizes(o Options) size {
	if o.Tiny {
		return size{benign: 6, benignAsks: 6, heads: 3, headAsks: 100, answerTokens: 80,
			prompts: 40, equality: 10, triggers: 10, nullKeys: 20, rounds: 999, probeTokens: 60}
	}
	if o.Quick {
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

// stages is how many stages Run reports.
const stages = 6

// Run runs the demo.
func Run(ctx context.Context, o Options) (*Summary, error) {
	start := time.Now()
	o = o.withDefaults()
	if err := prepareOut(o.Out); err != nil {
		return nil, err
	}
	r := &demoRun{o: o, sz: sizes(o), sum: &Summary{Out: o.Out}}

	o.Stage(1, stages, "keys and the watermarking gateway (embedded model, per-account keys)")
	if err := r.setUp(); err != nil {
		return nil, err
	}
	gw, err := r.startGateway()
	if err != nil {
		return nil, err
	}
	// The gateway keeps running (and logging, with a checkpoint every
	// second) until the probes are done: their relay check searches its
	// log, which must span them.
	defer gw.stop()

	o.Stage(2, stages, fmt.Sprintf("traffic through the gateway: %d ordinary accounts and a %d-account harvesting campaign", r.sz.benign, r.sz.heads))
	if err := r.traffic(ctx); err != nil {
		return nil, err
	}
	o.Stage(3, stages, "distil a student from the harvest, and a control student from human text of the same size")
	if err := r.distil(ctx); err != nil {
		return nil, err
	}
	o.Stage(4, stages, "scan the gateway's request log for distillation patterns")
	if err := r.scan(ctx); err != nil {
		return nil, err
	}
	o.Stage(5, stages, "probe the student and the control (canary prompts, watermark key, tokenizer); evidence bundles and reports")
	if err := r.probeBoth(ctx); err != nil {
		return nil, err
	}
	if err := gw.stop(); err != nil {
		return nil, err
	}

	o.Stage(6, stages, "summary")
	r.sum.Elapsed = time.Since(start)
	r.sum.ElapsedSeconds = r.sum.Elapsed.Seconds()
	return r.sum, nil
}

// withDefaults fills in what o leaves unset.
func (o Options) withDefaults() Options {
	if o.Out == "" {
		o.Out = ".demo"
	}
	if o.Stage == nil {
		o.Stage = func(int, int, string) {}
	}
	if o.Detail == nil {
		o.Detail = func(string) {}
	}
	if o.Tool == "" {
		o.Tool = "forensics demo"
	}
	return o
}

// demoRun is one Run: its options and sizes, what the stages made so
// far, and the summary they fill in.
type demoRun struct {
	o   Options
	sz  size
	sum *Summary

	model   *embedded.Model
	keys    *demoKeys
	sign    ed25519.PrivateKey
	planted *canary.Set
	pop     *population
	harvest []pair
	models  *models
}

// setUp loads the model and writes the watermark keys and the bundle
// signer.
func (r *demoRun) setUp() error {
	var err error
	if r.model, err = embedded.Load(); err != nil {
		return err
	}
	if r.keys, err = makeKeys(r.o.Out, r.model, r.o.Seed); err != nil {
		return err
	}
	signer := filepath.Join(r.o.Out, "keys", "signer.key")
	signPub, err := evidence.WriteSigningKey(signer, false)
	if err != nil {
		return err
	}
	if r.sign, err = evidence.LoadSigningKey(signer); err != nil {
		return err
	}
	r.o.Detail(fmt.Sprintf("watermark keys %s (most accounts) and %s (the partner account); bundle signer %s", r.keys.main.ID, r.keys.partner.ID, evidence.KeyFingerprint(signPub)))
	// The gateway plants each key's secret canary set; the harvest asks
	// the main key's triggers (a stand-in for questions a harvester
	// happens to ask: see docs/no-false-accusations.md).
	r.planted, err = probe.LoadCanaries(canary.Secret, r.keys.main)
	return err
}

// liveGateway is the demo's gateway, listening on a local port.
type liveGateway struct {
	srv     *serve.Server
	hs      *http.Server
	once    sync.Once
	stopErr error
}

// stop shuts the gateway down, once; later calls return the first
// call's error.
func (g *liveGateway) stop() error {
	g.once.Do(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		g.stopErr = errors.Join(g.hs.Shutdown(sctx), g.srv.Close())
	})
	return g.stopErr
}

// startGateway starts the watermarking gateway for the population on a
// local port.
func (r *demoRun) startGateway() (*liveGateway, error) {
	r.pop = newPopulation(r.sz, r.planted)
	cfg, err := gatewayConfig(r.o.Out, r.pop, filepath.Join(r.o.Out, "keys", "signer.key"))
	if err != nil {
		return nil, err
	}
	srv, err := serve.New(cfg, serve.Options{Backend: serve.NewEmbeddedBackend(r.model), Keys: map[string]*watermark.Key{"main": r.keys.main, "partner": r.keys.partner},
		LogSigner: r.sign})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	gw := &liveGateway{srv: srv, hs: &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go gw.hs.Serve(ln)
	r.sum.GatewayURL = "http://" + ln.Addr().String()
	r.o.Detail("gateway listening on " + r.sum.GatewayURL + ", request log " + filepath.Join(r.o.Out, "gateway", "requests.jsonl"))
	return gw, nil
}

// traffic drives everyone's requests through the gateway and keeps the
// campaign's harvest.
func (r *demoRun) traffic(ctx context.Context) error {
	reqs := r.pop.Requests(r.sz.benignAsks, r.sz.headAsks, r.o.Seed)
	half := len(reqs) / 2
	harvest, n, err := r.pop.drive(ctx, r.sum.GatewayURL, reqs[:half], r.sz, r.o.Detail)
	if err != nil {
		return err
	}
	if err := r.flagMidway(ctx); err != nil {
		return err
	}
	more, m, err := r.pop.drive(ctx, r.sum.GatewayURL, reqs[half:], r.sz, r.o.Detail)
	if err != nil {
		return err
	}
	harvest, n = append(harvest, more...), n+m
	// The campaign keeps its harvest in the order it asked.
	sort.SliceStable(harvest, func(a, b int) bool { return harvest[a].Prompt < harvest[b].Prompt })
	r.harvest = harvest
	r.sum.Requests, r.sum.Harvested = n, len(harvest)
	r.sum.Attackers, r.sum.Benign = r.pop.attackers(), r.pop.benignNames()
	for _, h := range harvest {
		r.sum.HarvestTok += h.tokens
	}
	return writeHarvest(filepath.Join(r.o.Out, "harvest.jsonl"), harvest)
}

// distil trains the student on the harvest, and the controls.
func (r *demoRun) distil(ctx context.Context) error {
	var err error
	if r.models, err = distil(ctx, r.o.Out, r.harvest); err != nil {
		return err
	}
	r.o.Detail(fmt.Sprintf("student: 4-gram model on %d harvested answers (%d bytes of text); controls: 4-gram models on the same amount of held-out human text", len(r.harvest), r.models.bytes))
	return nil
}

// scan scans the gateway's request log and writes the scan's outputs; the
// page shows when each flagged account's indicators fired (a second read
// of the log, as scan-logs --out does).
func (r *demoRun) scan(ctx context.Context) error {
	opts := logscan.Options{FiringTimes: true}
	rep, err := logscan.ScanWith(ctx, scanConfig(), opts, []string{filepath.Join(r.o.Out, "gateway", "requests.jsonl")}, nil)
	if err != nil {
		return err
	}
	r.sum.Scan, r.sum.ScanDir = rep, filepath.Join(r.o.Out, "scan")
	return logscan.WriteOutputs(rep, r.sum.ScanDir)
}

// probeBoth probes the student (against a control) and a control (against
// the other control), with the main key's reference.
func (r *demoRun) probeBoth(ctx context.Context) error {
	reference := "embedded:reference?key=" + r.keys.mainPath
	for _, c := range []struct {
		into    *Probed
		name    string
		suspect string
		control string
	}{
		{&r.sum.Student, "student", r.models.student, r.models.control},
		{&r.sum.Control, "control", r.models.control, r.models.control2},
	} {
		p, err := r.runProbe(ctx, c.name, "embedded:"+c.suspect, reference, "embedded:"+c.control)
		if err != nil {
			return fmt.Errorf("probe the %s: %w", c.name, err)
		}
		*c.into = *p
	}
	return nil
}

func (r *demoRun) runProbe(ctx context.Context, name, suspect, reference, control string) (*Probed, error) {
	o, sz, key, model, sign, detail := r.o, r.sz, r.keys.main, r.model, r.sign, r.o.Detail
	cases, err := r.caseSetup()
	if err != nil {
		return nil, err
	}
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
		Tool:     o.Tool, Command: o.command(),
		NullSeed: nullSeed(o.Seed),
		Run:      probe.RunOptions{Concurrency: 2},
		Sign:     sign, RequestLogs: logs, Cases: cases,
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
