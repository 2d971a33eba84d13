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

// cotPhrases are the tell-tales of harvesting reasoning traces.
var cotPhrases = []string{
	"step by step", "step-by-step", "chain of thought", "show your reasoning", "explain your reasoning",
	"show your work", "think through", "reasoning process", "<think>", "let's think", "walk me through your thinking",
	"before answering, reason", "rationale",
}

// cotAnchors holds the longest word of each phrase in cotPhrases, and its
// plural: a prompt without any of them as a word is taken not to contain a
// phrase (a phrase inside a longer word, "footstep by stepping", is not
// counted).
var cotAnchors = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range cotPhrases {
		longest := ""
		for _, w := range words(p) {
			if len(w) > len(longest) {
				longest = w
			}
		}
		m[longest], m[longest+"s"] = true, true
	}
	return m
}()

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
	minutes             map[int64]struct{} // active minutes, for overlap with others (capped)
	scratch             []bool
	lastIP, lastNet     string // memo: an account usually keeps its address
	tw                  timeWindows
	rw                  *reqWindow        // from windowFrom requests on
	parts               [seenParts]uint64 // hashes of recent prompts and context parts
	nparts              int
	served              [seenParts]uint64 // answers served (completion_sha256 prefixes)
	nserved             int
	lowTemp             int // requests asking for a temperature below LowTemperature
}

func newAccount(name string, topics int) *account {
	return &account{name: name, temps: map[float64]int{}, templates: map[uint64]int{}, templateText: map[uint64]string{},
		prefixes: map[uint64]int{}, prefixText: map[uint64]string{},
		topicHits: make([]int, topics), nets: map[string]int{}, agents: map[string]int{},
		minutes: map[int64]struct{}{}}
}

// scratch is reusable working memory for add (one per scanner).
type scratch struct {
	words []string
	tmpl  []byte
}

// add counts one request: its timing, parameters and source, then the
// text it adds (see newText).
func (a *account) add(r Record, tax *Taxonomy, sc *scratch) {
	a.requests++
	a.tokens += r.PromptTokens + r.CompletionTokens
	a.addTime(r.TS)
	a.addParams(r.Params)
	a.addSource(r.IP, r.UserAgent)
	text := a.newText(r)
	if text == "" {
		a.tw.add(r.TS, 0)
		return
	}
	a.addText(r.TS, text, tax, sc)
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
	if len(a.minutes) < 20000 {
		a.minutes[ts.Unix()/60] = struct{}{}
	}
}

// addParams counts the parameters a harvest uses: logprobs, logit bias,
// several answers, temperature sweeps and temperatures below the floor.
func (a *account) addParams(p Params) {
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
	if p.HasTemperature && p.Temperature < LowTemperature {
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

// addText counts a prompt's text: reasoning requests, templates and
// openings, near duplicates, topics, the time windows, length and samples.
func (a *account) addText(ts time.Time, text string, tax *Taxonomy, sc *scratch) {
	a.prompts++
	lower := strings.ToLower(text)
	ws := wordsOfLower(lower, sc.words)
	sc.words = ws
	isCoT := a.addCoT(lower, ws)
	sig := a.addTemplate(text, ws, sc)
	a.addNearDup(ws)
	mask := a.addTopics(ws, tax)
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

// addCoT reports (and counts) whether a prompt asks for its reasoning.
// The phrase search runs only when a prompt has one of the phrases'
// anchor words: most prompts have none, and long ones are costly.
func (a *account) addCoT(lower string, ws []string) bool {
	for _, w := range ws {
		if cotAnchors[strings.Trim(w, "'")] {
			for _, p := range cotPhrases {
				if strings.Contains(lower, p) {
					a.cot++
					return true
				}
			}
			return false
		}
	}
	return false
}

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

// newText is the text a request adds: its prompt, followed by each part
// of its context (system prompt, earlier turns) that the account has not
// sent recently, and each assistant turn that is not an answer the gateway
// served it. A fixed system prompt or a chat's history counts once;
// harvest text carried in them, or written as an assistant turn, counts
// like a prompt.
func (a *account) newText(r Record) string {
	a.remember(fnvString(r.Prompt))
	text := r.Prompt
	add := func(c string, assistant bool) {
		h := fnvString(c)
		if a.sentRecently(h) {
			return
		}
		a.remember(h)
		if assistant && a.wasServed(c) {
			return
		}
		if text == "" {
			text = c
		} else {
			text += "\n" + c
		}
	}
	for _, c := range r.Context {
		add(c, false)
	}
	for _, c := range r.Assistant {
		add(c, true)
	}
	if r.Completion != 0 {
		a.served[a.nserved%seenParts] = r.Completion
		a.nserved++
	}
	return text
}

// wasServed reports whether text is one of the answers recently served to
// the account (as the gateway hashes them: SHA-256 of the trimmed text).
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
