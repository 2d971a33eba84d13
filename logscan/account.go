package logscan

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"net"
	"sort"
	"strings"
	"time"
)

// Caps on per-account state, so memory is bounded by accounts × caps.
const (
	maxTemplates = 2048
	maxBuckets   = 8192
	maxSamples   = 3
	maxTemps     = 64
	maxNets      = 64
	// prefixWords is how many leading words make a prompt's prefix: a
	// campaign's template often varies its slots but not its opening.
	prefixWords    = 5
	maxPrefixTexts = 256
	// textsAlways is how many templates and openings keep their text
	// from their first use (the report shows an account's top 3); after
	// those, only ones used twice do (see keepText).
	textsAlways = 3
)

// account accumulates one account's features in one pass.
type account struct {
	name                string
	requests, tokens    int
	first, last         time.Time
	gapN                int
	gapMean, gapM2      float64 // Welford over inter-arrival seconds
	hours               [24]int
	logprobs, logitBias int
	multiN              int
	temps               map[float64]int
	cot                 int
	templates           map[uint64]int
	templateText        map[uint64]string
	prefixes            map[uint64]int    // first prefixWords words of prompts
	prefixText          map[uint64]string // for evidence
	buckets             bandSet           // SimHash 16-bit bands seen
	nearDup             int
	topicHits           []int
	prompts             int
	lenN                int
	lenMean, lenM2      float64
	samples             []string
	nets                map[string]int // IP /24 (or /48)
	agents              map[string]int
	minutes             minuteSketch // active minutes (MinHash), for overlap with others
	activity            timeHist     // requests per second, minute, hour… (ladder.go), for the HTML page
	scratch             []bool
	lastIP, lastNet     string // memo: an account usually keeps its address
	tw                  timeWindows
	rw                  *reqWindow        // from windowFrom requests on
	parts               [seenParts]uint64 // hashes of recent prompts and context parts
	nparts              int
	served              [seenParts]uint64 // answers served (completion_sha256 prefixes)
	nserved             int
	lowTemp             int // requests asking for a temperature below LowTemperature
	value               valueCounts
	// cotParts are context parts (a system prompt, an earlier turn) that
	// asked for reasoning: a request that carries one again asks again,
	// though its text counts only its new parts.
	cotParts  [8]uint64
	nCoTParts int
	// inputs are hashes of the last requests' whole inputs (resampling).
	inputs  [16]uint64
	nInputs int
}

func newAccount(name string, topics int) *account {
	return &account{name: name, temps: map[float64]int{}, templates: map[uint64]int{}, templateText: map[uint64]string{},
		prefixes: map[uint64]int{}, prefixText: map[uint64]string{},
		topicHits: make([]int, topics), nets: map[string]int{}, agents: map[string]int{}}
}

// scratch is reusable working memory for add (one per scanner).
type scratch struct {
	words []string
	tmpl  []byte
}

// env is what every account's update reads: the taxonomy and the
// detectors the scan was given.
type env struct {
	tax       *Taxonomy
	public    PublicItems
	reasoning ReasoningDetector
	flagships []string
}

// add counts one request: its timing, parameters and source, what it
// takes (value.go), then the text it adds (see newText). A public
// benchmark item counts in volume and timing only.
func (a *account) add(r Record, e *env, sc *scratch) {
	a.requests++
	a.tokens += clampTokens(r.PromptTokens) + clampTokens(r.CompletionTokens)
	a.addTime(r.TS)
	a.addSource(r.IP, r.UserAgent)
	a.value.addTokens(r)
	if isFlagship(r.Model, e.flagships) {
		a.value.flagship++
	}
	nt := a.newText(r, e)
	a.value.ownBytes += int64(len(nt.text))
	if nt.public {
		a.value.public++
	}
	// A temperature next to public items is the evaluation's (greedy
	// decoding of a benchmark); every other parameter counts.
	a.addParams(r.Params, !nt.public)
	if nt.text == "" {
		// Nothing of the sender's own: public items only, or nothing new.
		a.tw.add(r.TS, 0)
		return
	}
	a.addText(r.TS, nt.text, nt.cot, e, sc)
}

// addTime updates the account's span, inter-arrival moments (Welford),
// hours and active minutes.
func (a *account) addTime(ts time.Time) {
	if a.first.IsZero() || ts.Before(a.first) {
		a.first = ts
	}
	if !a.last.IsZero() {
		gap := ts.Sub(a.last).Seconds()
		if gap >= 0 {
			a.gapN++
			d := gap - a.gapMean
			a.gapMean += d / float64(a.gapN)
			a.gapM2 += d * (gap - a.gapMean)
		}
	}
	if ts.After(a.last) {
		a.last = ts
	}
	a.hours[ts.UTC().Hour()]++
	a.minutes.add(ts.Unix() / 60)
	a.activity.add(ts)
}

// addParams counts the parameters a harvest uses: logprobs, logit bias,
// several answers, temperature sweeps and temperatures below the floor.
func (a *account) addParams(p Params, countLow bool) {
	if p.TopLogprobs > 0 {
		a.logprobs++
	}
	if p.LogitBias {
		a.logitBias++
	}
	if p.N > 1 {
		a.multiN++
	}
	if t := math.Round(p.Temperature*100) / 100; p.HasTemperature && (len(a.temps) < maxTemps || a.temps[t] > 0) {
		a.temps[t]++
	}
	if countLow && p.HasTemperature && p.Temperature < LowTemperature {
		a.lowTemp++
	}
}

// addSource counts the request's network (/24 or /48) and client string.
func (a *account) addSource(ip, userAgent string) {
	if ip != a.lastIP {
		a.lastIP, a.lastNet = ip, netOf(ip)
	}
	if net := a.lastNet; net != "" && (len(a.nets) < maxNets || a.nets[net] > 0) {
		a.nets[net]++
	}
	if userAgent != "" && (len(a.agents) < maxNets || a.agents[userAgent] > 0) {
		a.agents[userAgent]++
	}
}

// addText counts a request's new text: reasoning requests (isCoT, from
// newText), templates and openings, near duplicates, topics, the time
// windows, length and samples.
func (a *account) addText(ts time.Time, text string, isCoT bool, e *env, sc *scratch) {
	a.prompts++
	lower := strings.ToLower(text)
	ws := wordsOfLower(lower, sc.words)
	sc.words = ws
	if isCoT {
		a.cot++
	}
	sig := a.addTemplate(text, ws, sc)
	a.addNearDup(ws)
	mask := a.addTopics(ws, e.tax)
	a.tw.add(ts, mask)
	if a.rw == nil && a.requests >= windowFrom {
		a.rw = newReqWindow(len(a.topicHits))
	}
	if a.rw != nil {
		a.rw.add(ts, windowEntry{sig: sig, topics: mask, cot: isCoT})
	}
	n := float64(len(ws))
	a.lenN++
	d := n - a.lenMean
	a.lenMean += d / float64(a.lenN)
	a.lenM2 += d * (n - a.lenMean)
	if len(a.samples) < maxSamples {
		a.samples = append(a.samples, truncate(text, 200))
	}
}

// reasons asks the scan's reasoning detector about a part of a request.
// A part longer than maxReasoningPart is asked about its head and its tail
// only: the log bounds every field anyway, and the cost of the classifier
// grows with the text.
func (e *env) reasons(text string) bool {
	if e.reasoning == nil {
		return false
	}
	if len(text) > maxReasoningPart {
		half := maxReasoningPart / 2
		head, tail := text[:half], text[len(text)-half:]
		return e.reasoning.Reasoning(head) || e.reasoning.Reasoning(tail)
	}
	return e.reasoning.Reasoning(text)
}

// maxReasoningPart bounds the text the classifier reads of one part.
const maxReasoningPart = 64 << 10

// addTemplate counts the prompt's template and its opening words, and
// returns the template's signature.
func (a *account) addTemplate(text string, ws []string, sc *scratch) uint64 {
	sig, tmpl := templateSig(text, sc.tmpl)
	sc.tmpl = tmpl
	if _, ok := a.templates[sig]; ok || len(a.templates) < maxTemplates {
		a.templates[sig]++
		if _, ok := a.templateText[sig]; !ok && keepText(a.templates[sig], len(a.templates)) {
			a.templateText[sig] = string(tmpl)
		}
	}
	if len(ws) >= prefixWords {
		ph := fnvWords(ws[:prefixWords])
		if _, ok := a.prefixes[ph]; ok || len(a.prefixes) < maxTemplates {
			a.prefixes[ph]++
			if _, ok := a.prefixText[ph]; !ok && len(a.prefixText) < maxPrefixTexts && keepText(a.prefixes[ph], len(a.prefixes)) {
				a.prefixText[ph] = strings.Join(ws[:prefixWords], " ")
			}
		}
	}
	return sig
}

// keepText reports whether to keep the text of a template (or opening)
// used uses times, among distinct ones. The texts are evidence: the report
// shows an account's commonest templates (those used twice or more, or,
// when fewer are, some used once: topTemplates prefers those with a
// text), and clusters cite the templates and openings used often. Most
// of a busy account's prompts are one-offs, and their texts were most of
// its memory; counts are kept for all, so no indicator changes.
func keepText(uses, distinct int) bool { return uses > 1 || distinct <= textsAlways }

// addNearDup counts a prompt within a few bits (SimHash) of an earlier
// one: four 16-bit bands, of which such prompts share at least one.
func (a *account) addNearDup(ws []string) {
	sh := simhash(ws)
	dup := false
	for b := 0; b < 4; b++ {
		key := uint32(b)<<16 | uint32(sh>>(16*uint(b)))&0xffff
		if a.buckets.has(key) {
			dup = true
		} else if a.buckets.len() < maxBuckets {
			a.buckets.add(key)
		}
	}
	if dup {
		a.nearDup++
	}
}

// addTopics counts the topics a prompt touches and returns them as a
// mask (the first 64).
func (a *account) addTopics(ws []string, tax *Taxonomy) uint64 {
	a.scratch = tax.Topics(ws, a.scratch)
	var mask uint64
	for i, hit := range a.scratch {
		if hit {
			a.topicHits[i]++
			if i < 64 {
				mask |= 1 << uint(i)
			}
		}
	}
	return mask
}

// seenParts is how many recent context parts an account remembers.
const seenParts = 64

// newText is what a request adds: its prompt, followed by each part of
// its context (system prompt, earlier turns) that the account has not sent
// recently, and each assistant turn that is not an answer the gateway
// served it; each without the public benchmark items it carries. A fixed
// system prompt or a chat's history counts once; harvest text carried in
// them, or written as an assistant turn, counts like a prompt. It also
// says whether the request asks for reasoning (in any part, including a
// carried one) and whether it carried public items.
func (a *account) newText(r Record, e *env) newText {
	ph := fnvString(r.Prompt)
	a.countResample(r, ph)
	a.remember(ph)
	var nt newText
	// The prompt: a reasoning request beside public items is the
	// evaluation's ("Let's think step by step" after a GSM8K item) and not
	// counted; what else the sender wrote is read as usual, unless it is
	// only a wrapper (fewer than minOwnWords words).
	if prompt, pub, own := e.withoutPublic(r.Prompt); own {
		nt.text, nt.public = prompt, pub
		nt.cot = !pub && prompt != "" && e.reasons(prompt)
	} else {
		nt.public = true
	}
	if len(r.Assistant) > 0 {
		a.value.withAssistant++
	}
	fabricated := false
	add := func(c string, assistant bool) {
		h := fnvString(c)
		if a.sentRecently(h) {
			nt.cot = nt.cot || a.isCoTPart(h)
			return
		}
		a.remember(h)
		if assistant && a.wasServed(c) {
			a.value.ownBytes += int64(len(c)) // replayed: the conversation's weight
			return
		}
		// A context part is asked about whatever is left of it: a system
		// prompt of one public item and "Reason step by step" still asks.
		rest, pub, own := e.withoutPublic(c)
		nt.public = nt.public || pub
		if strings.TrimSpace(rest) != "" && e.reasons(rest) {
			nt.cot = true
			a.cotParts[a.nCoTParts%len(a.cotParts)] = h
			a.nCoTParts++
		}
		if !own {
			return
		}
		fabricated = fabricated || assistant
		if nt.text == "" {
			nt.text = rest
		} else {
			nt.text += "\n" + rest
		}
	}
	for _, c := range r.Context {
		add(c, false)
	}
	for _, c := range r.Assistant {
		add(c, true)
	}
	if fabricated {
		a.value.fabricated++
	}
	if r.Completion != 0 {
		a.served[a.nserved%seenParts] = r.Completion
		a.nserved++
	}
	return nt
}

// countResample counts a request that asks again for answers it had: n >
// 1, or the same whole input (prompt and every context part and turn) as
// one of the last few requests. An agent re-sends its instruction with new
// tool results, and a chat re-sends its history with a new question;
// neither is the same input.
func (a *account) countResample(r Record, prompt uint64) {
	h := prompt
	for _, parts := range [][]string{r.Context, r.Assistant} {
		for _, c := range parts {
			h = h*1099511628211 ^ fnvString(c)
		}
		h = h*1099511628211 ^ 0xff
	}
	repeat := false
	for _, x := range a.inputs[:min(a.nInputs, len(a.inputs))] {
		repeat = repeat || x == h
	}
	a.inputs[a.nInputs%len(a.inputs)] = h
	a.nInputs++
	if r.Params.N > 1 || (repeat && len(strings.Fields(r.Prompt)) >= minRepeatWords) {
		a.value.resampled++
	}
}

// newText is a request's own new text (see account.newText).
type newText struct {
	text   string
	cot    bool // some part asks for reasoning
	public bool // some part carried public benchmark items
}

func (a *account) isCoTPart(h uint64) bool {
	for _, x := range a.cotParts[:min(a.nCoTParts, len(a.cotParts))] {
		if x == h {
			return true
		}
	}
	return false
}

func (a *account) wasServed(text string) bool {
	if a.nserved == 0 {
		return false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(text)))
	h := binary.BigEndian.Uint64(d[:8])
	for _, x := range a.served[:min(a.nserved, seenParts)] {
		if x == h {
			return true
		}
	}
	return false
}

func (a *account) sentRecently(h uint64) bool {
	for _, x := range a.parts[:min(a.nparts, seenParts)] {
		if x == h {
			return true
		}
	}
	return false
}

func (a *account) remember(h uint64) {
	if a.sentRecently(h) {
		return
	}
	a.parts[a.nparts%seenParts] = h
	a.nparts++
}

func netOf(ip string) string {
	p := net.ParseIP(ip)
	if p == nil {
		return ""
	}
	if v4 := p.To4(); v4 != nil {
		return net.IP(v4.Mask(net.CIDRMask(24, 32))).String() + "/24"
	}
	return p.Mask(net.CIDRMask(48, 128)).String() + "/48"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isBoundary(s, n) {
		n--
	}
	return s[:n] + "…"
}

func isBoundary(s string, i int) bool { return i == len(s) || s[i]&0xc0 != 0x80 }

// topTemplates returns the account's most used templates, most used first.
func (a *account) topTemplates(k int) []templateCount {
	out := make([]templateCount, 0, len(a.templates))
	for sig, c := range a.templates {
		out = append(out, templateCount{sig, c, a.templateText[sig]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		if (out[i].text != "") != (out[j].text != "") {
			return out[i].text != ""
		}
		return out[i].sig < out[j].sig
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

type templateCount struct {
	sig   uint64
	count int
	text  string
}
