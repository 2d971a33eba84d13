package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"forensics/canary"
	"forensics/corpora"
	"forensics/evidence"
	"forensics/llm/embedded"
	"forensics/probe"
	"forensics/reqlog"
	"forensics/stats"
	"forensics/watermark"
)

// The innocent suspects: what a defence expert brings against a
// "supported". Each is probed many times with a fresh key (ours) and fresh
// seeds, with our watermarked service (planting the key's secret canary
// set) as the reference and a model trained on human text as the control,
// as a real examination would be set up. A run is a false accusation when a
// proposition that is false of that suspect is "supported".

// InnocentOptions size the suite.
type InnocentOptions struct {
	Runs      int      `json:"runs"` // per case
	Prompts   int      `json:"prompts"`
	Equality  int      `json:"equality_prompts"`
	Triggers  int      `json:"triggers"`
	MaxTokens int      `json:"max_tokens"`
	NullKeys  int      `json:"null_keys"`
	Rounds    int      `json:"rounds"`
	Seed      uint64   `json:"seed"`
	Cases     []string `json:"cases,omitempty"` // names to run (default all)
	// TrainBytes is the human text each control or independent model is
	// trained on; Harvest how many unwatermarked answers the student of
	// them is trained on.
	TrainBytes int `json:"train_bytes"`
	Harvest    int `json:"harvest"`
	// Progress receives a line now and then.
	Progress func(string) `json:"-"`
}

// DefaultInnocent is the suite as reported in docs/.
func DefaultInnocent() InnocentOptions {
	return InnocentOptions{Runs: 100, Prompts: 60, Equality: 30, Triggers: 20, MaxTokens: 80, NullKeys: 20, Rounds: 999, Seed: 1, TrainBytes: 400_000, Harvest: 3000}
}

// InnocentCase is one kind of innocent suspect and what the probe said of
// it over the runs.
type InnocentCase struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// False are the propositions that are false of this suspect: a
	// "supported" on any of them is a false accusation.
	False []string `json:"false_propositions"`
	Runs  int      `json:"runs"`
	// Verdicts counts, per proposition, the runs that gave each verdict.
	Verdicts map[string]map[string]int `json:"verdicts"`
	// Accused counts runs with a false proposition "supported";
	// Conditional those with one "supported if complete" (answers
	// collected elsewhere) and none supported.
	Accused     int     `json:"false_supported"`
	Rate        float64 `json:"rate"`
	Lo          float64 `json:"ci95_lo"`
	Hi          float64 `json:"ci95_hi"`
	Conditional int     `json:"conditional"`
	Example     string  `json:"example_verdicts"` // the first run's verdicts
}

// InnocentResult is the whole suite.
type InnocentResult struct {
	Options InnocentOptions `json:"options"`
	Tool    string          `json:"tool"`
	Alpha   float64         `json:"alpha"`
	Cases   []InnocentCase  `json:"cases"`
	Seconds float64         `json:"seconds"`
}

// innocentCase builds one run's suspect.
type innocentCase struct {
	name, description string
	false             []string
	// suspect returns the suspect's spec and, for suspects no target
	// spec describes, the target itself.
	suspect func(r *innocentRun) (string, probe.Target, error)
	// control, if set, replaces the usual control model.
	control func(w *innocentWorld) string
}

// innocentWorld is what the runs share: models that do not depend on any
// key, trained once.
type innocentWorld struct {
	dir                   string
	teacher               *embedded.Model
	control, anotherGenre string // control models: mixed human text; Newton only
	tolstoyOnly           string // an independent suspect
	unwatermarkedStudent  string // trained on our model's unwatermarked answers
	human                 []string
	publicCanaries        *canary.Set
	queries               func(cs *canary.Set) []probe.Query
}

// innocentRun is one run: our key, the other provider's key, a folder.
type innocentRun struct {
	w        *innocentWorld
	i        int
	dir      string
	key      *watermark.Key
	keyPath  string
	cs       *canary.Set
	other    *watermark.Key
	otherCS  *canary.Set
	seed     uint64
	opts     InnocentOptions
	refSpec  string
	plantOur probe.TargetOptions
	log      *serviceLog
}

// serviceLog stands in for our gateway's request log, written by the
// gateway's own log writer (hash chain, checkpoints): it is opened an hour
// before the probe (so it covers it), gets one line for every request a
// relay forwards to our service, and is closed, with a final checkpoint,
// when the queries are done.
type serviceLog struct {
	mu   sync.Mutex
	path string
	w    *reqlog.Writer
	now  time.Time // the writer's clock until the probe starts
}

func newServiceLog(path string) (*serviceLog, error) {
	l := &serviceLog{path: path, now: time.Now().Add(-time.Hour)}
	w, err := reqlog.Open(reqlog.Options{Path: path, Now: l.clock})
	if err != nil {
		return nil, err
	}
	l.w = w
	err = l.write("someone", "What is the weather like?")
	l.mu.Lock()
	l.now = time.Time{} // from now on, the real time
	l.mu.Unlock()
	return l, err
}

func (l *serviceLog) clock() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.now.IsZero() {
		return time.Now()
	}
	return l.now
}

func (l *serviceLog) write(account, prompt string) error {
	line, _ := json.Marshal(map[string]any{"ts": l.clock().UTC().Format(time.RFC3339Nano), "account": account, "endpoint": "/api/generate", "model": "embedded", "prompt": prompt, "status": 200})
	return l.w.Append(line)
}

// close ends the log with a checkpoint dated a little past the probe's
// end, as a live gateway's next checkpoint would be (the relay check
// wants the log to span the probe with probe.ClockSkew to spare).
func (l *serviceLog) close() error {
	l.mu.Lock()
	l.now = time.Now().Add(probe.ClockSkew + time.Second)
	l.mu.Unlock()
	return l.w.Close()
}

// relayTarget is a reseller in front of our service: it forwards each
// query to us (logged under its account), and may change what it serves:
// re-sample at another temperature, route some prompts to another model,
// or append another model's answer to ours.
type relayTarget struct {
	mode        string
	ours, other probe.Target
	log         *serviceLog
	cache       map[string]probe.Exchange // trigger prompt → our answer, fetched before the probe
}

func (t relayTarget) Spec() string                { return "experiment:relay-" + t.mode }
func (t relayTarget) Check(context.Context) error { return nil }
func (t relayTarget) Ask(ctx context.Context, q probe.Query, s probe.Sampling) (probe.Exchange, error) {
	forward := func(s probe.Sampling) (probe.Exchange, error) {
		sent := q.Prompt
		if t.mode == "route-reworded" { // what reaches our log is not the probe's text
			sent = "  " + strings.ToLower(strings.ReplaceAll(q.Prompt, " ", "  ")) + " Answer briefly."
		}
		if err := t.log.write("reseller", sent); err != nil {
			return probe.Exchange{}, err
		}
		return t.ours.Ask(ctx, q, s)
	}
	switch t.mode {
	case "cache": // planted answers from a cache filled before; the rest elsewhere
		if q.Kind == "trigger" {
			if ex, ok := t.cache[q.Prompt]; ok {
				return ex, nil
			}
		}
		return t.other.Ask(ctx, q, s)
	case "route-reworded":
		if q.Kind == "prompt" && fnvEven(q.ID) {
			return t.other.Ask(ctx, q, s)
		}
	case "hot":
		s.Temperature = 1.4
	case "route": // every other prompt, by a hash of its id, to another model
		if q.Kind == "prompt" && fnvEven(q.ID) {
			return t.other.Ask(ctx, q, s)
		}
	case "append":
		a, err := forward(s)
		if err != nil || q.Kind != "prompt" {
			return a, err
		}
		b, err := t.other.Ask(ctx, q, s)
		if err != nil {
			return a, err
		}
		ta, _, _ := probe.ExtractText(a.Extract, a.Response)
		tb, _, _ := probe.ExtractText(b.Extract, b.Response)
		a.Response, _ = json.Marshal(map[string]any{"text": ta + " " + tb, "tokens": 0})
		return a, nil
	}
	return forward(s)
}

func fnvEven(s string) bool {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()%2 == 0
}

var innocentCases = []innocentCase{
	{name: "other-provider", false: []string{probe.PropDerived, probe.PropTrained},
		description: "another provider running this toolkit with its own key, planting its own secret canary set (issue 14 case 1, after the fix)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			kp := filepath.Join(r.dir, "other.yaml")
			if err := r.other.WriteFile(kp, false); err != nil {
				return "", nil, err
			}
			spec := "embedded:reference?plant=1&key=" + kp
			t, err := probe.OpenTarget(spec, probe.TargetOptions{Canaries: r.otherCS})
			return spec, t, err
		}},
	{name: "other-provider-public-set", false: []string{probe.PropDerived, probe.PropTrained},
		description: "another provider with its own key planting the public demo canary set, as `canaries: default` did everywhere (issue 14 case 1 as found)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			kp := filepath.Join(r.dir, "other.yaml")
			if err := r.other.WriteFile(kp, false); err != nil {
				return "", nil, err
			}
			spec := "embedded:reference?plant=1&key=" + kp
			t, err := probe.OpenTarget(spec, probe.TargetOptions{Canaries: r.w.publicCanaries})
			return spec, t, err
		}},
	relayCase("relay", "plain", "a reseller relaying our watermarked API (with our planted answers): its text is ours, it was trained on nothing (issue 14 case 3)"),
	relayCase("relay-hot", "hot", "a reseller relaying our API at temperature 1.4 (a weaker watermark, different answers)"),
	relayCase("relay-route", "route", "a reseller sending every other prompt to our API and the rest to another model (found by review: 20 of 20 \"trained\" before the request-log check)"),
	relayCase("relay-append", "append", "a reseller appending another model's answer to ours (found by review: 20 of 20 \"trained\" before the request-log check)"),
	relayCase("relay-route-reworded", "route-reworded", "the routing reseller, sending our API the prompts re-spaced, lower-cased and with a suffix (found by the second review: exact matching missed it)"),
	relayCase("relay-cache", "cache", "a reseller serving planted answers from a cache of our answers to the trigger questions, fetched before the probe, and everything else from another model (found by the second review)"),
	{name: "echo-bot", false: []string{probe.PropDerived, probe.PropTrained},
		description: "a bot whose every answer is the prompt (issue 14 case 2)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			return "experiment:echo", textTarget{"echo", func(q probe.Query) string { return q.Prompt }}, nil
		}},
	{name: "paraphrase-bot", false: []string{probe.PropDerived, probe.PropTrained},
		description: "a bot that restates the prompt in other words (its words reordered, lower-cased, with a set phrase)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			return "experiment:paraphrase", textTarget{"paraphrase", paraphrase}, nil
		}},
	{name: "same-public-data", false: []string{probe.PropDerived, probe.PropTrained},
		description: "a model trained on our model's own public training corpus by the same method, unwatermarked (our model without the key)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			t, err := probe.OpenTarget("embedded:reference", probe.TargetOptions{})
			return "embedded:reference", t, err
		}},
	{name: "unwatermarked-student", false: []string{probe.PropDerived, probe.PropTrained},
		description: "a 4-gram model trained on our model's unwatermarked answers (3,000 in the reported suite: outputs nobody received from our watermarking service)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			return "embedded:" + r.w.unwatermarkedStudent, nil, nil
		}},
	{name: "independent-other-genre-controls", false: []string{probe.PropDerived, probe.PropTrained},
		description: "a model trained on one novel only, probed with a control of another genre (Newton's Opticks) (issue 14 case 2's controls)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			return "embedded:" + r.w.tolstoyOnly, nil, nil
		},
		control: func(w *innocentWorld) string { return "embedded:" + w.anotherGenre }},
	{name: "cherry-picked-file", false: []string{probe.PropDerived, probe.PropTrained},
		description: "a file: transcript of the greenest human paragraphs under our key (the best of 10 per answer), one for each planned query, exactly (issue 14 case 4 done carefully)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			path, err := r.cherryPick(true)
			return "file:" + path, nil, err
		}},
	{name: "cherry-picked-file-loose", false: []string{probe.PropDerived, probe.PropTrained},
		description: "the same, but the greenest paragraphs numbered in order, more of them than the plan asks (issue 14 case 4 as found)",
		suspect: func(r *innocentRun) (string, probe.Target, error) {
			path, err := r.cherryPick(false)
			return "file:" + path, nil, err
		}},
}

// relayCase is a relay of our service: its text is ours, so only
// "trained" is false of it.
func relayCase(name, mode, description string) innocentCase {
	return innocentCase{name: name, false: []string{probe.PropTrained}, description: description,
		suspect: func(r *innocentRun) (string, probe.Target, error) { return r.relay(mode) }}
}

// relay builds a relay of our service in front of the run's reference.
func (r *innocentRun) relay(mode string) (string, probe.Target, error) {
	ours, err := probe.OpenTarget(r.refSpec, r.plantOur)
	if err != nil {
		return "", nil, err
	}
	other, err := probe.OpenTarget("embedded:"+r.w.control, probe.TargetOptions{})
	if err != nil {
		return "", nil, err
	}
	t := relayTarget{mode: mode, ours: ours, other: other, log: r.log}
	if mode == "cache" {
		// Filled before the probe: the log shows these requests as the
		// harvest of the trigger questions.
		t.cache = map[string]probe.Exchange{}
		for _, tr := range r.cs.Triggers[:min(len(r.cs.Triggers), r.opts.Triggers)] {
			q := probe.Query{Kind: "trigger", Prompt: tr.Prompt, PromptID: tr.ID}
			if err := r.log.write("reseller", tr.Prompt); err != nil {
				return "", nil, err
			}
			ex, err := ours.Ask(context.Background(), q, probe.Sampling{Temperature: 0.8, MaxTokens: r.opts.MaxTokens})
			if err != nil {
				return "", nil, err
			}
			t.cache[tr.Prompt] = ex
		}
	}
	return "experiment:relay-" + mode, t, nil
}

// InnocentCaseNames lists the suite's cases.
func InnocentCaseNames() []string {
	var out []string
	for _, c := range innocentCases {
		out = append(out, c.name)
	}
	return out
}

// textTarget answers with text computed from the query.
type textTarget struct {
	name   string
	answer func(q probe.Query) string
}

func (t textTarget) Spec() string                { return "experiment:" + t.name }
func (t textTarget) Check(context.Context) error { return nil }
func (t textTarget) Ask(_ context.Context, q probe.Query, _ probe.Sampling) (probe.Exchange, error) {
	text := t.answer(q)
	req, _ := json.Marshal(map[string]any{"prompt": q.Prompt})
	resp, _ := json.Marshal(map[string]any{"text": text, "tokens": len(strings.Fields(text))})
	return probe.Exchange{Endpoint: "experiment", Model: t.name, Extract: probe.ExtractEmbedded, Request: req, Status: 200, Response: resp}, nil
}

// paraphrase restates a prompt: its words in reverse order, lower-cased,
// after a set phrase.
func paraphrase(q probe.Query) string {
	w := strings.Fields(strings.ToLower(strings.Trim(q.Prompt, ".?! ")))
	slices.Reverse(w)
	return "So you would like to know this: " + strings.Join(w, " ") + "."
}

// cherryPick writes the suspect's "transcript": for each planned suspect
// query, the greenest under our key of 10 fresh human paragraphs (exact),
// or the greenest paragraphs numbered p0001… in order, 50% more of them
// than the plan has prompts (loose).
func (r *innocentRun) cherryPick(exact bool) (string, error) {
	w := r.w
	s := watermark.NewScheme(r.key)
	rng := rand.New(rand.NewPCG(r.seed, 5))
	qs := w.queries(r.cs)
	var mine []probe.Query
	for _, q := range qs {
		if q.Role == "suspect" {
			mine = append(mine, q)
		}
	}
	greenness := func(text string) float64 {
		res, _, err := probe.ScoreAnswers(s, w.teacher.Tokenizer(), nil, []string{text})
		if err != nil || res.TokensScored == 0 {
			return 0
		}
		return res.GreenFraction
	}
	var b strings.Builder
	if exact {
		for _, q := range mine {
			best, bestG := "", -1.0
			for range 10 {
				p := w.human[rng.IntN(len(w.human))]
				if g := greenness(p); g > bestG {
					best, bestG = p, g
				}
			}
			line, _ := json.Marshal(map[string]any{"prompt_id": q.PromptID, "kind": q.Kind, "repeat": q.Repeat, "response": best})
			b.Write(append(line, '\n'))
		}
	} else {
		n := r.opts.Prompts * 3 / 2
		cands := make([]string, 10*n)
		score := make([]float64, len(cands))
		for i := range cands {
			cands[i] = w.human[rng.IntN(len(w.human))]
			score[i] = greenness(cands[i])
		}
		idx := make([]int, len(cands))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
		for k, i := range idx[:n] {
			line, _ := json.Marshal(map[string]any{"prompt_id": fmt.Sprintf("p%04d", k+1), "response": cands[i]})
			b.Write(append(line, '\n'))
		}
	}
	path := filepath.Join(r.dir, "transcript.jsonl")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// newInnocentWorld trains the models the runs share.
func newInnocentWorld(ctx context.Context, o InnocentOptions, dir string) (*innocentWorld, error) {
	teacher, err := embedded.Load()
	if err != nil {
		return nil, err
	}
	paras, err := corpora.Paragraphs()
	if err != nil {
		return nil, err
	}
	public, err := probe.LoadCanaries(canary.Default, nil)
	if err != nil {
		return nil, err
	}
	w := &innocentWorld{dir: dir, teacher: teacher, human: paras, publicCanaries: public}
	w.queries = func(cs *canary.Set) []probe.Query {
		m := &probe.Manifest{Targets: probe.Targets{Suspect: "s", Reference: "r", Controls: []string{"c"}},
			Plan: probe.Plan{Prompts: o.Prompts, EqualityPrompts: o.Equality, Triggers: o.Triggers}}
		return m.Queries(cs)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 3))
	perm := rng.Perm(len(paras))
	slice := func(from int, keep func(string) bool) []string {
		var out []string
		size := 0
		for _, i := range perm[from:] {
			if keep != nil && !keep(paras[i]) {
				continue
			}
			out = append(out, paras[i])
			if size += len(paras[i]); size > o.TrainBytes {
				break
			}
		}
		return out
	}
	newton, err := corpora.Raw("newton-opticks.txt")
	if err != nil {
		return nil, err
	}
	fromNewton := map[string]bool{}
	for _, p := range strings.Split(strings.ReplaceAll(string(newton), "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(strings.ReplaceAll(p, "_", "")), " "); len(p) >= 3 {
			fromNewton[p] = true
		}
	}
	isNewton := func(p string) bool { return fromNewton[p] }
	notNewton := func(p string) bool { return !fromNewton[p] }
	w.control = filepath.Join(dir, "control.model")
	w.anotherGenre = filepath.Join(dir, "newton.model")
	w.tolstoyOnly = filepath.Join(dir, "tolstoy.model")
	for _, m := range []struct {
		path  string
		texts []string
	}{
		{w.control, slice(0, nil)},
		{w.anotherGenre, slice(0, isNewton)},
		{w.tolstoyOnly, slice(len(paras)/3, notNewton)},
	} {
		if err := embedded.TrainFile(ctx, m.texts, m.path, "innocent-suspect suite"); err != nil {
			return nil, err
		}
	}
	prompts, err := harvestPrompts(o.Harvest)
	if err != nil {
		return nil, err
	}
	clean, err := answers(ctx, teacher, nil, prompts, 150, o.Seed<<20)
	if err != nil {
		return nil, err
	}
	w.unwatermarkedStudent = filepath.Join(dir, "unwatermarked-student.model")
	if err := embedded.TrainFile(ctx, clean, w.unwatermarkedStudent, "student of unwatermarked answers"); err != nil {
		return nil, err
	}
	return w, nil
}

// Innocent runs the suite.
func Innocent(ctx context.Context, o InnocentOptions, tool string) (*InnocentResult, error) {
	start := time.Now()
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	dir, err := os.MkdirTemp("", "forensics-innocent-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	progress("training the suite's models (controls, independent suspects, a student of unwatermarked answers)")
	w, err := newInnocentWorld(ctx, o, dir)
	if err != nil {
		return nil, err
	}
	res := &InnocentResult{Options: o, Tool: tool, Alpha: 0.01}
	for ci, c := range innocentCases {
		if len(o.Cases) > 0 && !slices.Contains(o.Cases, c.name) {
			continue
		}
		verdicts := make([]map[string]string, o.Runs)
		err := parallel(ctx, o.Runs, func(i int) error {
			v, err := w.run(ctx, o, c, ci, i)
			verdicts[i] = v
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", c.name, err)
		}
		ic := InnocentCase{Name: c.name, Description: c.description, False: c.false, Runs: o.Runs, Verdicts: map[string]map[string]int{}}
		for i, v := range verdicts {
			accused, conditional := false, false
			for prop, verdict := range v {
				if ic.Verdicts[prop] == nil {
					ic.Verdicts[prop] = map[string]int{}
				}
				ic.Verdicts[prop][verdict]++
				if slices.Contains(c.false, prop) {
					accused = accused || verdict == probe.VerdictSupported
					conditional = conditional || verdict == probe.VerdictConditional
				}
			}
			if accused {
				ic.Accused++
			} else if conditional {
				ic.Conditional++
			}
			if i == 0 {
				var parts []string
				for _, prop := range []string{probe.PropDerived, probe.PropTrained, probe.PropSame} {
					if verdict, ok := v[prop]; ok {
						parts = append(parts, prop+": "+verdict)
					}
				}
				ic.Example = strings.Join(parts, "; ")
			}
		}
		ic.Rate = float64(ic.Accused) / float64(o.Runs)
		ic.Lo, ic.Hi, _ = stats.ClopperPearson(ic.Accused, o.Runs, 0.95)
		res.Cases = append(res.Cases, ic)
		progress(fmt.Sprintf("%s: %d of %d runs falsely supported (%s)", c.name, ic.Accused, o.Runs, ic.Example))
	}
	res.Seconds = math.Round(time.Since(start).Seconds()*10) / 10
	return res, nil
}

// run probes one case once, with fresh keys and seeds, and returns the
// verdict per proposition.
func (w *innocentWorld) run(ctx context.Context, o InnocentOptions, c innocentCase, ci, i int) (map[string]string, error) {
	dir, err := os.MkdirTemp(w.dir, "run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	seed := o.Seed*1_000_003 + uint64(ci)*10_007 + uint64(i)
	key, err := watermark.NewKeyFromSecret(fmt.Sprintf("ours-%d", i), watermark.DefaultParams(), secretOf(seed, 1), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	other, err := watermark.NewKeyFromSecret(fmt.Sprintf("theirs-%d", i), watermark.DefaultParams(), secretOf(seed, 2), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, "key.yaml")
	if err := key.WriteFile(keyPath, false); err != nil {
		return nil, err
	}
	cs, err := probe.LoadCanaries(canary.Secret, key)
	if err != nil {
		return nil, err
	}
	otherCS, err := canary.NewSecret(other.CanarySeed(), other.ID)
	if err != nil {
		return nil, err
	}
	slog, err := newServiceLog(filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		return nil, err
	}
	r := &innocentRun{w: w, i: i, dir: dir, key: key, keyPath: keyPath, cs: cs, other: other, otherCS: otherCS, seed: seed, opts: o,
		refSpec: "embedded:reference?plant=1&key=" + keyPath, plantOur: probe.TargetOptions{Canaries: cs}, log: slog}
	spec, target, err := c.suspect(r)
	if err != nil {
		return nil, err
	}
	control := "embedded:" + w.control
	if c.control != nil {
		control = c.control(w)
	}
	res, _, err := evidence.Probe(ctx, probe.Setup{
		Dir: filepath.Join(dir, "bundle"), Key: key, Tokenizer: w.teacher.Tokenizer(), Canaries: cs,
		Targets: probe.Targets{Suspect: spec, Reference: r.refSpec, Controls: []string{control}},
		Plan:    probe.Plan{Prompts: o.Prompts, EqualityPrompts: o.Equality, Triggers: o.Triggers, HammingLength: 32},
		Alpha:   0.01, NullKeys: o.NullKeys, Rounds: o.Rounds, NullSeed: fmt.Sprintf("innocent-%d", seed),
		Sampling: probe.Sampling{Temperature: 0.8, MaxTokens: o.MaxTokens, Seed: seed&0x7fffffff + 1},
		Tool:     "forensics calibrate --innocent", Run: probe.RunOptions{Concurrency: 1},
		RequestLogs: []string{slog.path}, AfterQueries: slog.close,
		Open: func(role, _ string) (probe.Target, error) {
			if role == "suspect" {
				return target, nil
			}
			return nil, nil
		},
	})
	if err != nil {
		return nil, err
	}
	v := map[string]string{}
	for _, p := range res.Propositions {
		v[p.ID] = p.Verdict
	}
	return v, nil
}

// InnocentTable is the suite as a Markdown table.
func InnocentTable(r *InnocentResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| case | runs | false \"supported\" | rate (95%% CI) | \"supported if complete\" | verdicts of the first run |\n|---|---|---|---|---|---|\n")
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "| %s | %d | %d | %.3f (%.3f–%.3f) | %d | %s |\n", c.Name, c.Runs, c.Accused, c.Rate, c.Lo, c.Hi, c.Conditional, c.Example)
	}
	return b.String()
}

// WriteInnocent writes innocent.md and innocent.json into dir.
func WriteInnocent(r *InnocentResult, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Innocent suspects\n\nWritten by `%s` (%s, %.0f s). Each case is probed %d times, every run with a fresh key of ours (and of the other provider), fresh seeds, our watermarked service planting the key's secret canary set as the reference, and a model trained on human text as the control; plan: %d prompts, %d asked twice, %d triggers, answers of at most %d tokens, %d unused keys, %d rounds, α = %g. A run counts as a false accusation when a proposition that is false of the suspect is \"supported\".\n\n",
		r.Tool, "forensics calibrate --innocent", r.Seconds, r.Options.Runs, r.Options.Prompts, r.Options.Equality, r.Options.Triggers, r.Options.MaxTokens, r.Options.NullKeys, r.Options.Rounds, r.Alpha)
	b.WriteString(InnocentTable(r))
	b.WriteString("\n")
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "- **%s**: %s; false propositions: %s.\n", c.Name, c.Description, strings.Join(c.False, ", "))
	}
	if err := os.WriteFile(filepath.Join(dir, "innocent.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "innocent.json"), r)
}
