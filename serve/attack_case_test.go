package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"forensics/canary"
	"forensics/internal/measure"
)

// The attack: an account that suspects it was flagged wants to know
// whether it has been moved onto a case key (and so should stop, or move
// its harvest to fresh accounts). It runs a fixed battery of requests
// before and after and compares everything it sees.

// observation is what a client sees of one response, with the sampled
// text and the values that differ from call to call in any case (request
// id, date, durations, ids) reduced to their shape.
type observation struct {
	Status  int
	Headers map[string]string // name → value, or "*" for values that vary by call
	// First and Last are the JSON shapes of the body's first and last
	// lines ([DONE] included), Middle the distinct shapes of the lines
	// between. How many lines a stream has depends on when the pacer
	// released its pieces (timing, not the key), so a stream released in
	// one write has no middle lines: Middle is compared only when both
	// have some.
	First, Last string
	Middle      []string
	Error       string // the whole body of a refusal
}

// variable are the headers and JSON fields whose values vary from call to
// call whatever the key (compared by presence, not value).
var variableHeaders = map[string]bool{"Date": true, "X-Request-Id": true, "Content-Length": true}

func observe(t *testing.T, resp *http.Response) observation {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	o := observation{Status: resp.StatusCode, Headers: map[string]string{}}
	for name, vs := range resp.Header {
		v := strings.Join(vs, ",")
		if variableHeaders[name] {
			v = "*"
		}
		o.Headers[name] = v
	}
	if resp.StatusCode >= 400 {
		o.Error = string(body)
		return o
	}
	var shapes []string
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		line = strings.TrimPrefix(line, "data: ")
		switch line {
		case "":
			continue
		case "[DONE]":
			shapes[len(shapes)-1] += " [DONE]"
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		shapes = append(shapes, shapeOf("", v))
	}
	o.First, o.Last = shapes[0], shapes[len(shapes)-1]
	for _, sh := range shapes[1:max(1, len(shapes)-1)] {
		if !slices.Contains(o.Middle, sh) {
			o.Middle = append(o.Middle, sh)
		}
	}
	slices.Sort(o.Middle)
	return o
}

// same reports whether a client can tell two observations apart.
func (o observation) same(p observation) bool {
	if len(o.Middle) == 0 || len(p.Middle) == 0 {
		o.Middle, p.Middle = nil, nil
	}
	return reflect.DeepEqual(o, p)
}

// countFields are compared by value: the battery fixes how many tokens
// are generated, so they must not change either.
var countFields = map[string]bool{"eval_count": true, "prompt_eval_count": true, "completion_tokens": true, "prompt_tokens": true, "total_tokens": true, "done_reason": true, "finish_reason": true}

// shapeOf is a JSON value's structure: keys, and the type of each leaf
// (its value for countFields).
func shapeOf(key string, v any) string {
	if countFields[key] {
		return fmt.Sprint(v)
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s:%s,", k, shapeOf(k, x[k]))
		}
		return b.String() + "}"
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, shapeOf("", e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case string:
		return "s"
	case float64:
		return "n"
	case bool:
		return fmt.Sprint(x)
	}
	return "null"
}

// battery is the client's fixed set of requests: every generation
// endpoint, streamed and not, seeded and with as many tokens as it asks,
// the listing endpoints, and bad requests of several kinds.
func battery() []struct{ method, path, body string } {
	msgs := `[{"role":"user","content":"Describe a harbour at dawn."}]`
	opts := `"options":{"num_predict":24,"min_tokens":24,"seed":7,"temperature":0.9}`
	oai := `"max_tokens":24,"min_tokens":24,"seed":7,"temperature":0.9`
	return []struct{ method, path, body string }{
		{"POST", "/api/generate", `{"model":"embedded","prompt":"Describe a harbour at dawn.","stream":false,` + opts + `}`},
		{"POST", "/api/generate", `{"model":"embedded","prompt":"Describe a harbour at dawn.",` + opts + `}`},
		{"POST", "/api/chat", `{"model":"embedded","messages":` + msgs + `,"stream":false,` + opts + `}`},
		{"POST", "/api/chat", `{"model":"embedded","messages":` + msgs + `,` + opts + `}`},
		{"POST", "/v1/chat/completions", `{"model":"embedded","messages":` + msgs + `,` + oai + `}`},
		{"POST", "/v1/chat/completions", `{"model":"embedded","messages":` + msgs + `,"stream":true,` + oai + `}`},
		{"POST", "/api/generate", `{"model":"embedded","prompt":"low","stream":false,"options":{"num_predict":8,"min_tokens":8,"temperature":0}}`},
		{"GET", "/api/tags", ``},
		{"GET", "/v1/models", ``},
		{"POST", "/api/show", `{"model":"embedded"}`},
		{"POST", "/api/generate", `{"model":"embedded","prompt":`},
		{"POST", "/v1/chat/completions", `{"model":"nope","messages":` + msgs + `}`},
		{"POST", "/api/generate", `{"model":"embedded","prompt":"x","options":{"stop":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}}`},
		{"POST", "/api/chat", `{"model":"embedded","messages":[{"role":"User!","content":"x"}]}`},
		{"POST", "/api/generate", `{"model":"embedded","prompt":"` + strings.Repeat("x", 5000) + `"}`},
	}
}

func runBattery(t *testing.T, g *gateway, key string) []observation {
	t.Helper()
	var out []observation
	for _, r := range battery() {
		out = append(out, observe(t, g.send(r.method, r.path, key, strings.NewReader(r.body))))
	}
	return out
}

// TestAttackCaseUnobservable: what a client sees of the battery (status,
// headers, the JSON fields of every line, the token counts and stop
// reasons, every error body) is the same before and after its account moves to a case
// key, and the same as for an account that did not move; only the
// sampled text differs. Timing is not measured here: the pacing schedule
// depends on the model and the prompt size only (serve/pace.go,
// paceKeyOf), and the request path is the same in a case or not
// (account.current loads and copies for every account that can join a
// case), so a key change has no timing path of its own beyond the
// draft-rejection channel pacing already covers for every key
// (TestAttackStreamTiming).
func TestAttackCaseUnobservable(t *testing.T) {
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, testKey(t, 1), ledger, "canaries: secret\n")
	before := runBattery(t, g, devKey)
	control := runBattery(t, g, dev2Key)
	if code, _, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	g.nextWindow() // the case takes effect
	after := runBattery(t, g, devKey)
	for i, r := range battery() {
		if !before[i].same(after[i]) {
			t.Errorf("%s %s: the client sees a difference after its case opened:\nbefore %+v\nafter  %+v", r.method, r.path, before[i], after[i])
		}
		if !control[i].same(after[i]) {
			t.Errorf("%s %s: an account in a case differs from one that is not:\n%+v\n%+v", r.method, r.path, control[i], after[i])
		}
	}
	if lines := g.logLines(); lines[len(lines)-1].Account != "dev" || lines[len(lines)-1].Case != "case-0001" {
		t.Errorf("the last battery did not run under the case: %+v", lines[len(lines)-1])
	}
}

// TestAttackCaseDistinguisher measures the client's best guess from the
// text alone: it asks n seeded questions before and n after the opening
// (different seeds), trains a nearest-centroid classifier on word
// frequencies and one on answer length on half of each, and classifies
// the other half. It is a measurement, not an assertion of chance: a key
// favours its own continuations of common contexts, so with enough
// answers word frequencies tell two keys apart (the fingerprint channel
// docs/cases.md leaves open; TestAttackCaseFingerprint measures it at low
// temperature). At n = 60 the classifiers gave 29 to 39 of 60 over four
// runs with random case keys, once 20 of 60; CI failed on an assertion of
// chance. What it asserts is its control: the word classifier tells
// temperature 1 from the floor (95% interval above 1/2).
func TestAttackCaseDistinguisher(t *testing.T) {
	measure.Require(t, "text classifiers before/after a case opens, 2×300 answers, a few seconds")
	const n = 300 // per condition; half train, half test
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, testKey(t, 1), ledger, "")
	prompts := []string{"Tell me about the sea.", "Describe a city at night.", "Write about a long journey.", "Explain how rain forms."}
	ask := func(seed int, temp float64) string {
		body := fmt.Sprintf(`{"model":"embedded","prompt":%q,"stream":false,"options":{"num_predict":40,"seed":%d,"temperature":%g}}`, prompts[seed%len(prompts)], seed, temp)
		resp := g.send("POST", "/api/generate", devKey, strings.NewReader(body))
		var r struct{ Response string }
		json.Unmarshal([]byte(readAll(t, resp)), &r)
		return r.Response
	}
	var texts [2][]string
	for i := range n {
		texts[0] = append(texts[0], ask(i, 1))
	}
	caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	g.nextWindow()
	for i := range n {
		texts[1] = append(texts[1], ask(1000+i, 1))
	}
	// The classifier tells apart what does differ: answers at temperature
	// 1 and at the floor (same key, same prompts). It is weak: between
	// temperature 1 and 0.5, trained on 30 a side, it was near chance (25
	// to 39 of 60 over five windows), so the control is the floor, on 2n
	// answers a side.
	var control [2][]string
	for i := range 2 * n {
		control[0] = append(control[0], ask(2000+i, 1))
		control[1] = append(control[1], ask(2000+i, 0))
	}
	right := nearestCentroid(control, wordFreq)
	if lo, hi := wilson(right, 2*n, 1.96); lo <= 0.5 {
		t.Fatalf("the word classifier cannot tell temperature 1 from the floor (%d of %d, %.2f–%.2f): the test has no power", right, 2*n, lo, hi)
	}
	t.Logf("control, temperature 1 against the floor: %d of %d right by word frequencies, %d by length", right, 2*n, nearestCentroid(control, answerLength))
	for _, f := range []struct {
		name    string
		feature func(string) map[string]float64
	}{
		{"word frequencies", wordFreq},
		{"length", answerLength},
	} {
		right := nearestCentroid(texts, f.feature)
		lo, hi := wilson(right, n, 1.96)
		t.Logf("%s: %d of %d test answers classified right (%.2f, 95%% interval %.2f–%.2f)", f.name, right, n, float64(right)/n, lo, hi)
	}
}

func answerLength(s string) map[string]float64 {
	return map[string]float64{"len": float64(len(s)) / 100}
}

// wordFreq is an answer's word counts (letters only, lower case) scaled
// to unit length.
func wordFreq(s string) map[string]float64 {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	m := map[string]float64{}
	for _, w := range words {
		m[w]++
	}
	norm := 0.0
	for _, v := range m {
		norm += v * v
	}
	for k := range m {
		m[k] /= math.Sqrt(norm)
	}
	return m
}

// nearestCentroid trains on the even answers of each class and counts how
// many odd ones land nearer their own class's centroid.
func nearestCentroid(texts [2][]string, feature func(string) map[string]float64) int {
	var centroid [2]map[string]float64
	for c := range 2 {
		centroid[c] = map[string]float64{}
		for i := 0; i < len(texts[c]); i += 2 {
			for k, v := range feature(texts[c][i]) {
				centroid[c][k] += v / float64(len(texts[c])/2)
			}
		}
	}
	dist := func(a, b map[string]float64) float64 {
		keys := slices.Collect(func(yield func(string) bool) {
			for k := range a {
				yield(k)
			}
			for k := range b {
				yield(k)
			}
		})
		d := 0.0
		for _, k := range keys {
			d += (a[k] - b[k]) * (a[k] - b[k]) // keys in both count twice: same for either class
		}
		return d
	}
	right := 0
	for c := range 2 {
		for i := 1; i < len(texts[c]); i += 2 {
			f := feature(texts[c][i])
			if (dist(f, centroid[c]) < dist(f, centroid[1-c])) || (dist(f, centroid[c]) == dist(f, centroid[1-c]) && c == 0) {
				right++
			}
		}
	}
	return right
}

// wilson is the Wilson score interval of k successes in n at z.
func wilson(k, n int, z float64) (lo, hi float64) {
	p := float64(k) / float64(n)
	den := 1 + z*z/float64(n)
	mid := (p + z*z/(2*float64(n))) / den
	half := z * math.Sqrt(p*(1-p)/float64(n)+z*z/(4*float64(n)*float64(n))) / den
	return mid - half, mid + half
}

// TestAttackPublishedTriggerAfterCase: a harvester that has seen a
// trigger of the master key's secret canary set (every published bundle
// carries it) asks it from each of its accounts. An account in a case
// still gets the planted answer, as its uncased neighbour does, and the
// case's own triggers are planted too. (The adversarial review of issue
// 16 found the case set planted instead of the master's: one request
// told the account it was moved.)
func TestAttackPublishedTriggerAfterCase(t *testing.T) {
	key := testKey(t, 1)
	g := startCaseGateway(t, key, filepath.Join(t.TempDir(), "cases.jsonl"), "canaries: secret\n")
	master, err := canary.NewSecret(key.CanarySeed(), key.ID)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(k string, tr canary.Trigger) bool {
		body := readAll(t, g.post("/api/generate", k, map[string]any{"model": "embedded", "prompt": tr.Prompt, "stream": false}))
		return strings.Contains(body, tr.Answer)
	}
	code, cr, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	if code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	g.nextWindow()
	for _, tr := range master.Triggers[:3] {
		if d, d2 := ask(devKey, tr), ask(dev2Key, tr); !d || !d2 {
			t.Errorf("master trigger %s after dev's case opened: dev planted %v, dev2 planted %v (want both)", tr.ID, d, d2)
		}
	}
	ck, _ := key.DeriveCase(cr.Cases[0].Ledger, cr.Cases[0].ID, cr.Cases[0].Nonce)
	caseSet, err := canary.NewSecret(ck.CanarySeed(), ck.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tr := caseSet.Triggers[0]; !ask(devKey, tr) || ask(dev2Key, tr) {
		t.Errorf("the case's own trigger: planted for dev %v (want true), for dev2 %v (want false)", ask(devKey, tr), ask(dev2Key, tr))
	}
}

// TestCaseKeysDifferAcrossLedgers: two gateways under one master key (or
// one whose ledger was lost and started again) both number from
// case-0001, yet issue different keys: the ledger id is part of the
// derivation.
func TestCaseKeysDifferAcrossLedgers(t *testing.T) {
	key := testKey(t, 1)
	gA := startCaseGateway(t, key, filepath.Join(t.TempDir(), "a.jsonl"), "")
	gB := startCaseGateway(t, key, filepath.Join(t.TempDir(), "b.jsonl"), "")
	_, a, _ := caseCall(t, gA, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	_, b, _ := caseCall(t, gB, "/admin/cases", CaseRequest{Accounts: []string{"dev2"}})
	ca, cb := a.Cases[0], b.Cases[0]
	if ca.ID != cb.ID || ca.Ledger == cb.Ledger || ca.KeyCommitment == cb.KeyCommitment {
		t.Errorf("A: %s ledger %s key %.16s; B: %s ledger %s key %.16s (want one id, two ledgers, two keys)", ca.ID, ca.Ledger, ca.KeyCommitment, cb.ID, cb.Ledger, cb.KeyCommitment)
	}
}

// TestCaseKeysDifferAcrossLedgerCopies: two copies of one ledger (a backup
// restored, a volume cloned) share the ledger id and both open case-0002
// next; the cases' nonces still give two keys (the second adversarial
// review gave carol alice's key this way before the nonce).
func TestCaseKeysDifferAcrossLedgerCopies(t *testing.T) {
	key := testKey(t, 1)
	dirA, dirB := t.TempDir(), t.TempDir()
	gA := startCaseGateway(t, key, filepath.Join(dirA, "cases.jsonl"), "")
	if code, _, body := caseCall(t, gA, "/admin/cases", CaseRequest{Accounts: []string{"dev2"}}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	for _, name := range []string{"cases.jsonl", "cases.jsonl.id"} {
		data, err := os.ReadFile(filepath.Join(dirA, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dirB, name), data, 0o600)
	}
	gB := startCaseGateway(t, key, filepath.Join(dirB, "cases.jsonl"), "")
	// Each copy opens its case-0002 (for the one account left uncased).
	_, a, _ := caseCall(t, gA, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	_, b, _ := caseCall(t, gB, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	ca, cb := a.Cases[len(a.Cases)-1], b.Cases[len(b.Cases)-1]
	if ca.ID != "case-0002" || cb.ID != "case-0002" || ca.Ledger != cb.Ledger || ca.KeyCommitment == cb.KeyCommitment {
		t.Errorf("A: %s ledger %s key %.16s; B: %s ledger %s key %.16s (want case-0002 twice, one ledger id, two keys)", ca.ID, ca.Ledger, ca.KeyCommitment, cb.ID, cb.Ledger, cb.KeyCommitment)
	}
}
