package serve

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"forensics/canary"
	"forensics/generate"
	"forensics/logline"
	"forensics/watermark"
)

// genRequest is a generation request in the gateway's terms.
type genRequest struct {
	model        string // as the client named it
	upstream     string // as the backend names it
	prompt       string // rendered raw prompt
	promptPieces []string
	promptTokens int
	messages     []logline.Message
	rawText      *string // the client's prompt for /api/generate
	system       *string // /api/generate's system prompt
	temp         float64
	maxTok       int
	minTok       int
	stop         []string
	seed         *uint64
	params       map[string]any
}

// resolveModel maps a client model name to the backend's, or 404. An
// account that lists its models gets 404 for every other; a model served
// without a watermark exists only for accounts that list it. The 404 is
// the same as for a model that does not exist at all.
func (s *Server) resolveModel(ctx context.Context, acct *account, name string) (ModelConfig, *httpError) {
	if name == "" {
		return ModelConfig{}, &httpError{status: http.StatusBadRequest, msg: "model is required"}
	}
	notFound := &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("model %q not found", name)}
	if len(acct.catalog) > 0 {
		m, ok := acct.catalog[name]
		if !ok || !s.mayUse(acct, m) {
			return ModelConfig{}, notFound
		}
		return m, nil
	}
	if acct.models != nil && !acct.models[name] {
		return ModelConfig{}, notFound
	}
	ok, err := s.backend.Has(ctx, name)
	if err != nil {
		return ModelConfig{}, backendUnavailable(err)
	}
	if !ok {
		return ModelConfig{}, notFound
	}
	return ModelConfig{Name: name, Upstream: name}, nil
}

// mayUse reports whether an account may ask for a configured model.
func (s *Server) mayUse(acct *account, m ModelConfig) bool {
	if acct.models != nil {
		return acct.models[m.Name]
	}
	return watermarkOn(m.Watermark)
}

// prepare checks the stop sequences, then splits the rendered prompt into
// pieces once for the whole request (its size is charged to the token
// quota, and restarts reuse the pieces) and checks its length. It is called
// once gr.prompt is set.
func (s *Server) prepare(rc *reqCtx, gr *genRequest) *httpError {
	if he := s.checkLoggable(gr); he != nil {
		return he
	}
	if len(gr.stop) > s.cfg.Requests.MaxStop {
		return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("%d stop sequences; at most %d are allowed", len(gr.stop), s.cfg.Requests.MaxStop)}
	}
	for _, st := range gr.stop {
		if len(st) > s.cfg.Requests.MaxStopBytes {
			return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("a stop sequence of %d bytes; at most %d are allowed", len(st), s.cfg.Requests.MaxStopBytes)}
		}
	}
	limit := s.cfg.Requests.MaxPromptTokens
	var over bool
	gr.promptPieces, over = s.backend.Pieces(gr.upstream, gr.prompt, limit)
	gr.promptTokens = len(gr.promptPieces)
	if over {
		// Charged like a prompt that was read: refusals are not free.
		gr.promptTokens = max(gr.promptTokens, limit+1)
		s.spend(rc.acct.name, gr.promptTokens)
		return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("prompt longer than the %d tokens allowed", limit)}
	}
	return nil
}

// maxRequestLine bounds the logged text of a generation request (JSON
// escaped), so that its log line stays far below reqlog.MaxLine.
const maxRequestLine = 4 << 20

var rolePattern = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)

// checkLoggable refuses a generation request whose input the log could not
// hold whole: a model that reads text the log cut would be reading what no
// audit sees.
func (s *Server) checkLoggable(gr *genRequest) *httpError {
	if len(gr.messages) > s.cfg.Requests.MaxMessages {
		return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("%d messages; at most %d are allowed", len(gr.messages), s.cfg.Requests.MaxMessages)}
	}
	max := s.cfg.Log.MaxFieldBytes
	tooLong := func(what string, n int) *httpError {
		return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("%s of %d bytes is longer than the %d bytes the request log holds", what, n, max)}
	}
	size := 0
	for _, p := range []*string{gr.rawText, gr.system} {
		if p != nil {
			if len(*p) > max {
				return tooLong("a prompt", len(*p))
			}
			size += jsonLen(*p)
		}
	}
	for i, m := range gr.messages {
		if !rolePattern.MatchString(m.Role) {
			return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("messages[%d]: role must be a lower-case word (user, assistant, system, tool, …)", i)}
		}
		if len(m.Content) > max {
			return tooLong(fmt.Sprintf("messages[%d]", i), len(m.Content))
		}
		size += jsonLen(m.Content) + 32
	}
	if size > maxRequestLine {
		return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("the request's text takes %d bytes in the request log; at most %d are allowed", size, maxRequestLine)}
	}
	return nil
}

// jsonLen is the length of s as a JSON string without HTML escaping.
func jsonLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}

// generation is a running generation's outcome.
type generation struct {
	canary    string // the trigger whose planted answer was served
	text      strings.Builder
	toks      []generate.Token
	stats     generate.Stats
	watermark *logline.Watermark
	stalls    int
	released  time.Time // when the final message was due
	err       error
	answer    string // SHA-256 of the text served (hex), when it was served whole
}

// served records the answer's hash, for the log and to recognise it when
// the client sends it back as a turn of a chat.
func (g *generation) served(acct *account) {
	if g.err != nil {
		return
	}
	h := answerHash(g.text.String())
	acct.served.add(h)
	g.answer = hex.EncodeToString(h[:])
}

// clientParts are the texts the client wrote that the model reads: the
// prompt (or the chat's last user message) first, then the system prompt
// and the chat's other messages, assistant turns included unless they are
// answers this gateway served the account (a client can write an
// "assistant" turn as easily as a user one). The scanner reads the same
// parts from the log line (logscan.Record).
func clientParts(acct *account, gr *genRequest) []string {
	var parts []string
	last := -1
	if gr.rawText != nil {
		parts = append(parts, *gr.rawText)
	} else {
		for i := len(gr.messages) - 1; i >= 0; i-- {
			if gr.messages[i].Role == "user" {
				parts, last = append(parts, gr.messages[i].Content), i
				break
			}
		}
	}
	if gr.system != nil {
		parts = append(parts, *gr.system)
	}
	for i, m := range gr.messages {
		if i != last && !(m.Role == "assistant" && acct.served.has(answerHash(m.Content))) {
			parts = append(parts, m.Content)
		}
	}
	return parts
}

// answerHash is how answers are recognised when a client sends them back:
// SHA-256 of the text without surrounding white space.
func answerHash(text string) [32]byte { return sha256.Sum256([]byte(strings.TrimSpace(text))) }

// servedAnswers remembers the hashes of the last answers served to an
// account.
type servedAnswers struct {
	mu   sync.Mutex
	ring [64][32]byte
	n    int
}

func (a *servedAnswers) add(h [32]byte) {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.ring[a.n%len(a.ring)] = h
	a.n++
	a.mu.Unlock()
}

func (a *servedAnswers) has(h [32]byte) bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range a.ring[:min(a.n, len(a.ring))] {
		if x == h {
			return true
		}
	}
	return false
}

// planted finds a canary trigger in any part of the client's input.
// An account in a case plants its case's set besides its own.
func (s *Server) planted(acct *account, gr *genRequest) (answer, id string, ok bool) {
	if acct.canaries == nil && acct.caseCanaries == nil {
		return "", "", false
	}
	for _, p := range clientParts(acct, gr) {
		for _, set := range []*canary.Set{acct.caseCanaries, acct.canaries} {
			if set == nil {
				continue
			}
			if answer, id, ok = set.Planted(p); ok {
				return answer, id, ok
			}
		}
	}
	return "", "", false
}

// run generates and releases the text through emit, which writes it to
// the client (its error, a gone client, ends the generation). It returns
// an httpError when the request is refused before generating.
func (s *Server) run(ctx context.Context, rc *reqCtx, mc ModelConfig, gr *genRequest, emit func(string) error) (*generation, *httpError) {
	scheme := rc.acct.scheme
	if !watermarkOn(mc.Watermark) {
		scheme = nil
	}
	if s.logRefuses(rc.acct) {
		return nil, &httpError{status: http.StatusServiceUnavailable, msg: "service temporarily unavailable", retry: 30 * time.Second}
	}
	ans, canaryID, planted := s.planted(rc.acct, gr)
	paced := *s.cfg.Watermarking.Pacing && (scheme != nil || planted)
	key := paceKeyOf(mc.Upstream, gr.promptTokens)
	var tau, first time.Duration
	if paced {
		var herr *httpError
		if tau, first, herr = s.paceTimes(ctx, key); herr != nil {
			return nil, herr
		}
	}
	done, he := s.admitGeneration(ctx, rc, gr)
	if he != nil {
		return nil, he
	}
	p := newPacer(paceNow, 0, 0, s.now)
	if paced {
		p = newPacer(paceTau, tau, time.Duration(s.cfg.Watermarking.PaceLead)*tau, s.now)
	}
	start := s.now()
	if planted {
		g := s.servePlanted(ctx, rc, gr, p, start.Add(first), ans, canaryID, emit)
		done(gr.promptTokens + g.stats.Tokens)
		s.met.tokens.WithLabelValues(rc.acct.name, "false").Add(float64(g.stats.Tokens))
		return g, nil
	}
	g, werr := s.generate(ctx, rc, mc, gr, scheme, p, paced, emit)
	g.served(rc.acct)
	done(gr.promptTokens + g.stats.Tokens)
	if g.stalls > 0 {
		s.recalibrate(key)
	}
	g.countTilted()
	if s.trace != nil {
		s.trace(rc.id, g.toks)
	}
	s.recordMetrics(rc.acct, g, scheme != nil, start)
	if g.err != nil && ctx.Err() == nil && werr == nil {
		s.met.upstreamErr.Inc()
		s.logThrottled(slog.LevelError, "upstream", "backend error", "request_id", rc.id, "model", mc.Upstream, "err", g.err)
	}
	return g, nil
}

// backendUnavailable is the 502 of a backend that failed before
// generating. A network error names the backend's address (and Go's
// url.Error its URL): the client learns only that it did not answer, the
// request log gets all. The backends' own errors say what is wrong
// without quoting the engine or a token, and are shown.
func backendUnavailable(err error) *httpError {
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return &httpError{status: http.StatusBadGateway, msg: "backend unavailable: it did not answer", detail: " (" + err.Error() + ")"}
	}
	return &httpError{status: http.StatusBadGateway, msg: "backend unavailable: " + err.Error()}
}

// paceTimes is the calibrated time per piece (tau) and to the first piece
// for a model and prompt size, or why it cannot be had.
func (s *Server) paceTimes(ctx context.Context, key paceKey) (tau, first time.Duration, herr *httpError) {
	tau, first, err := s.paceFor(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return 0, 0, &httpError{status: 499, msg: s.goneMsg()}
		}
		return 0, 0, backendUnavailable(err)
	}
	return tau, first, nil
}

// servePlanted serves the provider's planted answer: as is (a model
// trained on it repeats it, which the probe's canary test looks for), cut
// by the request's max_tokens and stop sequences as a generated answer
// would be, and paced like one, its first piece at firstAt, the calibrated
// time a generation takes to its first piece.
func (s *Server) servePlanted(ctx context.Context, rc *reqCtx, gr *genRequest, p *pacer, firstAt time.Time, answer, canaryID string, emit func(string) error) *generation {
	g := &generation{canary: canaryID}
	pieces, stop := plantedPieces(s.backend, gr, answer)
	p.setFirst(firstAt)
	for i, piece := range pieces {
		p.add(piece, i+1)
	}
	p.finish(false)
	g.stalls, g.err = p.release(ctx, func(text string) error { g.text.WriteString(text); return emit(text) })
	g.stats = generate.Stats{Tokens: len(pieces), Stop: stop}
	g.released = s.now()
	g.served(rc.acct)
	return g
}

// generate runs the speculative generation, each drafted piece sampled
// from the watermarked distribution when scheme is set, and releases its
// text through the pacer to emit. werr is emit's error (a gone client),
// which also ends the generation.
func (s *Server) generate(ctx context.Context, rc *reqCtx, mc ModelConfig, gr *genRequest, scheme *watermark.Scheme, p *pacer, paced bool, emit func(string) error) (g *generation, werr error) {
	g = &generation{}
	temp, floored := gr.temp, false
	if scheme != nil {
		if floor := *s.cfg.Watermarking.MinTemperature; temp < floor {
			temp, floored = floor, true
		}
		g.watermark = &logline.Watermark{KeyID: scheme.KeyID(), Payload: rc.acct.payload, Temperature: temp}
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var seed [32]byte
	if repeatable(s.backend) {
		seed = generationSeed(rc.acct, scheme, mc.Upstream, gr, temp, floored, s.window.index(rc.at))
	} else {
		rand.Read(seed[:])
	}
	genDone := make(chan struct{})
	go func() {
		defer close(genDone)
		g.toks, g.stats, g.err = generate.Speculative(gctx, s.backend, scheme, gr.prompt, generate.StreamOptions{
			Model: mc.Upstream, PromptPieces: gr.promptPieces, MaxTokens: gr.maxTok, MinTokens: min(gr.minTok, gr.maxTok),
			Temperature: temp, Seed: seed, Stop: gr.stop,
			Chunk: chunkFor(paced),
		}, func(chunk string, pieces int) error {
			p.add(chunk, pieces)
			return gctx.Err()
		})
		p.finish(g.err != nil)
	}()
	stalls, werr := p.release(ctx, func(text string) error { g.text.WriteString(text); return emit(text) })
	if werr != nil {
		cancel() // a gone client ends the generation
	}
	<-genDone
	g.stalls, g.released = stalls, s.now()
	if g.err == nil {
		g.err = werr
	}
	return g, werr
}

// countTilted fills in the watermark entry's count of tilted pieces and
// its green gain (to one decimal).
func (g *generation) countTilted() {
	if g.watermark == nil {
		return
	}
	for _, tok := range g.toks {
		if tok.TV >= TiltedTV {
			g.watermark.Tilted++
		}
		g.watermark.GreenGain += tok.TV
	}
	g.watermark.GreenGain = float64(int(g.watermark.GreenGain*10+0.5)) / 10
}

// recordMetrics adds a finished generation to the metrics.
func (s *Server) recordMetrics(acct *account, g *generation, watermarked bool, start time.Time) {
	s.met.roundTrips.Add(float64(g.stats.RoundTrips))
	s.met.drafts.WithLabelValues("accepted").Add(float64(g.stats.Accepted))
	s.met.drafts.WithLabelValues("rejected").Add(float64(g.stats.Rejected))
	s.met.drafts.WithLabelValues("discarded").Add(float64(g.stats.Discarded))
	s.met.paceStalls.Add(float64(g.stalls))
	s.met.tokens.WithLabelValues(acct.name, fmt.Sprint(watermarked)).Add(float64(g.stats.Tokens))
	if g.stats.Tokens > 0 {
		s.met.tokenTime.Observe(g.released.Sub(start).Seconds() / float64(g.stats.Tokens))
	}
}

// chunkFor is the upstream request size: one token when paced, so that a
// piece costs one request whether its draft is accepted or replaced (the
// backend's default, several tokens a request read to their end, makes a
// rejected draft cost the rest of its request), and the pace calibrated
// on one-token requests is the true cost of every piece.
func chunkFor(paced bool) int {
	if paced {
		return 1
	}
	return 0
}

// plantedPieces cuts a planted answer as a generation would be cut: at
// the request's first stop sequence and after max_tokens pieces. It
// returns the pieces and the stop reason.
func plantedPieces(b Backend, gr *genRequest, answer string) ([]string, string) {
	stop := "stop"
	cut := len(answer)
	for _, st := range gr.stop {
		if i := strings.Index(answer, st); st != "" && i >= 0 && i < cut {
			cut = i
		}
	}
	pieces, _ := b.Pieces(gr.upstream, answer[:cut], 0)
	if len(pieces) > gr.maxTok {
		pieces, stop = pieces[:gr.maxTok], "length"
	}
	return pieces, stop
}
