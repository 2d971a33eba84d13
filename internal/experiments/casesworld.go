package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"forensics/canary"
	"forensics/evidence"
	"forensics/llm/embedded"
	"forensics/logline"
	"forensics/probe"
	"forensics/serve"
	"forensics/watermark"
)

// The gateway world of the case-key experiment: the watermarking gateway
// in-process with a case ledger, benign accounts and two harvesting
// campaigns that ask in three phases. After phase 1 the operator flags
// campaign 1 (a case opens for its accounts), after phase 2 campaign 2.
// Students are trained on what each campaign received after its case
// opened, mixed with other text, and questioned by the real probe
// (evidence.Probe with the ledger), whose attribution test says which
// cases they carry.

// WorldOptions size the world.
type WorldOptions struct {
	Benign           int `json:"benign_accounts"`
	Campaigns        int `json:"campaigns"` // 0: no world; otherwise 2
	CampaignAccounts int `json:"accounts_per_campaign"`
	AsksPerPhase     int `json:"asks_per_account_per_phase"`
	AnswerTokens     int `json:"answer_tokens"`
	// Mixes are the shares of campaign 1's post-opening harvest in its
	// students' training text (the rest: the same teacher's answers to
	// other prompts, unwatermarked, as another provider of the same open
	// weights would serve).
	Mixes        []float64 `json:"mixes"`
	ProbePrompts int       `json:"probe_prompts"`
	ProbeTokens  int       `json:"probe_tokens"`
	NullKeys     int       `json:"null_keys"`
	Dir          string    `json:"-"` // work folder (default: a temporary one, removed)
}

// DefaultWorld is the world as reported in docs/experiments/cases.md. The
// probe asks what forensics probe asks by default (the whole secret set's
// 550 prompts, up to 200 pieces each); a first run at 400 prompts of 100
// pieces did not attribute the 5% student (docs/cases.md).
func DefaultWorld() WorldOptions {
	return WorldOptions{Benign: 6, Campaigns: 2, CampaignAccounts: 3, AsksPerPhase: 120, AnswerTokens: 120,
		Mixes: []float64{1, 0.25, 0.05}, ProbePrompts: 550, ProbeTokens: 200, NullKeys: 100}
}

// WorldResult is what the world showed.
type WorldResult struct {
	// Cases are the ledger's cases; Served counts the request log's
	// responses under each key ("" is the master key).
	Cases    []probe.Case   `json:"cases"`
	Served   map[string]int `json:"served_by_case"`
	Students []WorldStudent `json:"students"`
}

// WorldStudent is one student's probe.
type WorldStudent struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Expect      []string    `json:"expected_cases"` // cases whose text it was trained on
	Attributed  []string    `json:"attributed_cases"`
	CaseLog10P  []float64   `json:"case_log10_p"` // in ledger order
	Master      TestOutcome `json:"master_key"`
	Verdict     string      `json:"case_verdict"`
	Correct     bool        `json:"correct"`
}

// TestOutcome is a test's status and p.
type TestOutcome struct {
	Status string  `json:"status"`
	Log10P float64 `json:"log10_p"`
}

// world is a running world.
type world struct {
	o        WorldOptions
	dir      string
	master   *watermark.Key
	teacher  *embedded.Model
	srv      *serve.Server
	hs       *httptest.Server
	adminKey string
	// skew is how far the gateway's clock runs ahead of the real one: a
	// case takes effect at the next repeat-window boundary, so after each
	// flag the world's clock jumps past it instead of waiting an hour.
	skew atomic.Int64
	keys map[string]string // account → API key
	// got[account][phase] are the answers the account received.
	got map[string][][]pair
}

type pair struct{ prompt, answer string }

// RunWorld runs the gateway world and probes its students.
func RunWorld(ctx context.Context, o WorldOptions, teacher *embedded.Model, progress func(string)) (*WorldResult, error) {
	w, err := startWorld(o, teacher)
	if err != nil {
		return nil, err
	}
	defer w.close()
	for phase := range 3 {
		if err := w.phase(ctx, phase); err != nil {
			return nil, err
		}
		progress(fmt.Sprintf("world: phase %d asked", phase+1))
		if phase < 2 {
			if err := w.flag(ctx, phase+1); err != nil {
				return nil, err
			}
		}
	}
	w.hs.Close()
	if err := w.srv.Close(); err != nil {
		return nil, err
	}
	res := &WorldResult{}
	if res.Served, err = servedByCase(filepath.Join(w.dir, "requests.jsonl")); err != nil {
		return nil, err
	}
	return res, w.students(ctx, res, progress)
}

func accountName(campaign, i int) string {
	if campaign == 0 {
		return fmt.Sprintf("benign-%02d", i+1)
	}
	return fmt.Sprintf("campaign%d-%02d", campaign, i+1)
}

// startWorld writes the keys and config and starts the gateway.
func startWorld(o WorldOptions, teacher *embedded.Model) (*world, error) {
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "forensics-cases-world-"); err != nil {
			return nil, err
		}
	}
	master, err := experimentMaster(1, "world", 0)
	if err != nil {
		return nil, err
	}
	master.Tokenizer = teacher.Tokenizer().ID()
	keyPath := filepath.Join(dir, "master.yaml")
	if err := master.WriteFile(keyPath, true); err != nil {
		return nil, err
	}
	w := &world{o: o, dir: dir, master: master, teacher: teacher, adminKey: "admin-secret-world", keys: map[string]string{}, got: map[string][][]pair{}}
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:0\nbackend: {kind: embedded}\nkeys:\n  main: %s\n", keyPath)
	b.WriteString("defaults:\n  key: main\n  limits: {requests_per_hour: 1000000, concurrent: 8}\naccounts:\n")
	for c := 0; c <= o.Campaigns; c++ {
		n := o.Benign
		if c > 0 {
			n = o.CampaignAccounts
		}
		for i := range n {
			name := accountName(c, i)
			w.keys[name] = "key-" + name
			w.got[name] = make([][]pair, 3)
			fmt.Fprintf(&b, "  - {name: %s, api_keys: [\"%s\"]}\n", name, serve.HashAPIKey(w.keys[name]))
		}
	}
	fmt.Fprintf(&b, "admin_api_keys: [\"%s\"]\n", serve.HashAPIKey(w.adminKey))
	signPath := filepath.Join(dir, "log.key")
	if _, err := evidence.WriteSigningKey(signPath, true); err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, "log:\n  path: %s\n  checkpoint_every: 1s\n  signing_key: %s\n", filepath.Join(dir, "requests.jsonl"), signPath)
	fmt.Fprintf(&b, "watermarking: {pacing: false, repeat_window: %s}\ncanaries: secret\n", repeatWindow)
	fmt.Fprintf(&b, "cases:\n  ledger: %s\n  master_key: main\n", filepath.Join(dir, "cases.jsonl"))
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	cfg, err := serve.LoadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	sign, err := evidence.LoadSigningKey(signPath)
	if err != nil {
		return nil, err
	}
	now := func() time.Time { return time.Now().Add(time.Duration(w.skew.Load())) }
	w.srv, err = serve.New(cfg, serve.Options{Backend: serve.NewEmbeddedBackend(teacher), Keys: map[string]*watermark.Key{"main": master}, LogSigner: sign, Now: now})
	if err != nil {
		return nil, err
	}
	w.hs = httptest.NewServer(w.srv.Handler())
	return w, nil
}

func (w *world) close() {
	w.hs.Close()
	w.srv.Close()
	if w.o.Dir == "" {
		os.RemoveAll(w.dir)
	}
}

// phase has every account ask AsksPerPhase prompts, two at a time. Each
// account asks its own slice of the harvest prompts.
func (w *world) phase(ctx context.Context, phase int) error {
	names := make([]string, 0, len(w.keys))
	for c := 0; c <= w.o.Campaigns; c++ {
		n := w.o.Benign
		if c > 0 {
			n = w.o.CampaignAccounts
		}
		for i := range n {
			names = append(names, accountName(c, i))
		}
	}
	prompts, err := harvestPrompts(len(names) * 3 * w.o.AsksPerPhase)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for a, name := range names {
		w.got[name][phase] = make([]pair, w.o.AsksPerPhase)
		for i := range w.o.AsksPerPhase {
			p := prompts[(a*3+phase)*w.o.AsksPerPhase+i]
			g.Go(func() error {
				ans, err := w.ask(gctx, name, p)
				w.got[name][phase][i] = pair{p, ans}
				return err
			})
		}
	}
	return g.Wait()
}

// ask sends one generate request as an account.
func (w *world) ask(ctx context.Context, account, prompt string) (string, error) {
	body, _ := json.Marshal(map[string]any{"model": serve.EmbeddedModelName, "prompt": prompt, "stream": false,
		"options": map[string]any{"temperature": 0.8, "num_predict": w.o.AnswerTokens}})
	raw, err := w.post(ctx, "/api/generate", w.keys[account], body)
	if err != nil {
		return "", err
	}
	text, _, err := probe.ExtractText(probe.ExtractOllama, raw)
	return text, err
}

func (w *world) post(ctx context.Context, path, key string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hs.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.hs.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %s", path, resp.Status, strings.TrimSpace(string(raw)))
	}
	return raw, nil
}

// flag opens a case for a campaign's accounts, as an operator acting on a
// scan-logs finding would (POST /admin/cases).
func (w *world) flag(ctx context.Context, campaign int) error {
	var accts []string
	for i := range w.o.CampaignAccounts {
		accts = append(accts, accountName(campaign, i))
	}
	body, _ := json.Marshal(map[string]any{"accounts": accts, "note": fmt.Sprintf("campaign %d flagged by scan-logs", campaign)})
	if _, err := w.post(ctx, "/admin/cases", w.adminKey, body); err != nil {
		return err
	}
	// The case takes effect at the next window boundary (at least a
	// minute away): jump the clock past it.
	w.skew.Add(int64(repeatWindow + 2*time.Minute))
	return nil
}

// repeatWindow is the world gateway's repeat window (the default).
const repeatWindow = time.Hour

// servedByCase counts the request log's answered generations by case.
func servedByCase(path string) (map[string]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var e logline.Entry
		if len(line) == 0 || json.Unmarshal(line, &e) != nil || e.Status != http.StatusOK || e.Endpoint != "/api/generate" {
			continue
		}
		out[e.Case]++
	}
	return out, nil
}

// studentPlan is one student: its training text and the cases it carries.
type studentPlan struct {
	name, description string
	texts             []string
	expect            []string
}

// harvestOf is what a campaign's accounts (campaign 0: the benign ones)
// received in the given phases, as training texts.
func (w *world) harvestOf(campaign int, phases ...int) []string {
	n := w.o.Benign
	if campaign > 0 {
		n = w.o.CampaignAccounts
	}
	var out []string
	for i := range n {
		for _, ph := range phases {
			for _, p := range w.got[accountName(campaign, i)][ph] {
				out = append(out, probe.RenderEmbedded(p.prompt)+p.answer)
			}
		}
	}
	return out
}

// filler is n texts of the teacher's unwatermarked answers to the harvest
// prompts (other text, as another provider of the same open weights
// serves), from seed.
func (w *world) filler(ctx context.Context, n int, seed uint64) ([]string, error) {
	prompts, err := harvestPrompts(n)
	if err != nil {
		return nil, err
	}
	ans, err := answers(ctx, w.teacher, nil, prompts, w.o.AnswerTokens, seed)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i, p := range prompts {
		out[i] = probe.RenderEmbedded(p) + ans[i]
	}
	return out, nil
}

// plans are the students: campaign 1's post-opening harvest at each mix,
// campaign 1 before its case opened, the benign accounts, and both
// campaigns after their cases opened.
func (w *world) plans(ctx context.Context) ([]studentPlan, *[]string, error) {
	c1 := w.harvestOf(1, 1, 2)
	var ps []studentPlan
	maxFill := 0
	for _, m := range w.o.Mixes {
		maxFill = max(maxFill, int(float64(len(c1))*(1-m)/m+0.5))
	}
	fill, err := w.filler(ctx, maxFill, 77<<32)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range w.o.Mixes {
		k := int(float64(len(c1))*(1-m)/m + 0.5)
		ps = append(ps, studentPlan{name: fmt.Sprintf("campaign1-%g%%", 100*m), expect: []string{caseID(1)},
			description: fmt.Sprintf("campaign 1's answers after its case opened (%d), mixed with %d unwatermarked answers of the same teacher (%g%% campaign 1)", len(c1), k, 100*m),
			texts:       append(append([]string(nil), c1...), fill[:k]...)})
	}
	ps = append(ps,
		studentPlan{name: "campaign1-before", description: "campaign 1's answers before its case opened (master key only)", texts: w.harvestOf(1, 0)},
		studentPlan{name: "benign", description: "the benign accounts' answers, all phases (master key; never flagged)", texts: w.harvestOf(0, 0, 1, 2)},
		studentPlan{name: "both-campaigns", description: "campaign 1's and campaign 2's answers after their cases opened", texts: append(c1, w.harvestOf(2, 2)...), expect: []string{caseID(1), caseID(2)}})
	control, err := w.filler(ctx, len(c1), 78<<32)
	return ps, &control, err
}

// students trains and probes every student with the real probe.
func (w *world) students(ctx context.Context, res *WorldResult, progress func(string)) error {
	ps, control, err := w.plans(ctx)
	if err != nil {
		return err
	}
	models := filepath.Join(w.dir, "models")
	if err := os.MkdirAll(models, 0o755); err != nil {
		return err
	}
	controlPath := filepath.Join(models, "control.model")
	if err := trainTo(ctx, *control, controlPath); err != nil {
		return err
	}
	for _, p := range ps {
		path := filepath.Join(models, p.name+".model")
		if err := trainTo(ctx, p.texts, path); err != nil {
			return err
		}
		st, err := w.probeStudent(ctx, p, path, controlPath, res)
		if err != nil {
			return fmt.Errorf("student %s: %w", p.name, err)
		}
		res.Students = append(res.Students, st)
		progress(fmt.Sprintf("world: student %s: attributed %v (expected %v), master key %s", p.name, st.Attributed, st.Expect, st.Master.Status))
	}
	return nil
}

func trainTo(ctx context.Context, texts []string, path string) error {
	return embedded.TrainFile(ctx, texts, path, fmt.Sprintf("%d texts", len(texts)))
}

// probeStudent runs forensics probe on a student with the ledger.
func (w *world) probeStudent(ctx context.Context, p studentPlan, path, controlPath string, res *WorldResult) (WorldStudent, error) {
	st := WorldStudent{Name: p.name, Description: p.description, Expect: p.expect}
	cases, err := evidence.LoadCases(filepath.Join(w.dir, "cases.jsonl"), nil, nil)
	if err != nil {
		return st, err
	}
	cs, err := probe.LoadCanaries(canary.Secret, w.master)
	if err != nil {
		return st, err
	}
	setup := probe.Setup{
		Dir: filepath.Join(w.dir, "evidence-"+p.name), Key: w.master, Tokenizer: w.teacher.Tokenizer(), Canaries: cs,
		Targets: probe.Targets{Suspect: "embedded:" + path, Controls: []string{"embedded:" + controlPath}},
		Plan:    probe.Plan{Prompts: w.o.ProbePrompts}, Alpha: 0.01, NullKeys: w.o.NullKeys, Rounds: 99,
		Sampling: probe.Sampling{Temperature: 0.8, MaxTokens: w.o.ProbeTokens, Seed: 5},
		Tool:     "forensics experiments cases", NullSeed: "cases-world", Cases: cases,
		Run: probe.RunOptions{Concurrency: 2},
	}
	r, _, err := evidence.Probe(ctx, setup)
	if err != nil {
		return st, err
	}
	if radio := testNamed(r.Tests, probe.TestRadioactivity); radio != nil {
		st.Master = TestOutcome{Status: radio.Status, Log10P: radio.Log10P}
	}
	att := testNamed(r.Tests, probe.TestAttribution)
	if att == nil || att.Attribution == nil {
		return st, fmt.Errorf("no attribution test in the results")
	}
	res.Cases = res.Cases[:0]
	for _, c := range att.Attribution.Cases {
		res.Cases = append(res.Cases, c.Case)
		st.CaseLog10P = append(st.CaseLog10P, c.Log10P)
		if c.Status == probe.StatusRejected {
			st.Attributed = append(st.Attributed, c.ID)
		}
	}
	for _, pr := range r.Propositions {
		if pr.ID == probe.PropCase {
			st.Verdict = pr.Verdict
		}
	}
	st.Correct = strings.Join(st.Attributed, ",") == strings.Join(st.Expect, ",")
	return st, nil
}

func testNamed(ts []probe.TestResult, name string) *probe.TestResult {
	for i := range ts {
		if ts[i].Name == name {
			return &ts[i]
		}
	}
	return nil
}
