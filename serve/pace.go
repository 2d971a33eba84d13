package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"forensics/corpora"
	"forensics/llm"
)

// Pacing closes the timing channel of speculative watermarking.
//
// Every rejected draft restarts the upstream stream (a new HTTP request to
// Ollama, a re-read of the prompt), so when text is sent as soon as it is
// final, a long pause follows each replaced piece, and a replaced piece is
// always green: a client timing the stream would read green pieces off
// the pauses. The pacer breaks the link between when text is generated and
// when it is sent. Generation runs ahead into a buffer; piece i (counting
// from 1) is released at
//
//	t_first + lead + (i−1)·τ
//
// where t_first is when the first piece was generated (its time cannot
// depend on a rejection: nothing was rejected before it) and lead is
// pace_lead pieces of τ.
//
// Paced generations ask the backend for one token a request (chunkFor), so
// every piece costs one upstream request whether its draft is accepted or
// replaced: the rejections no longer show in how long generation takes,
// only in how it is spread over requests, which the pacer hides. τ is
// 1.25 times the median of 24 such one-token requests, measured by
// the gateway itself (calibrate), per model and prompt size (a power-of-
// two bucket, with a calibration prompt at the bucket's upper end), on
// first use and every 10 minutes; it is never learned from clients'
// traffic, which an attacker could shape. What the client sees is then a
// function of τ and the piece count; the final message follows one τ
// after the last piece. Should a piece take longer (a cache miss, a loaded
// backend), the piece goes out when ready, the schedule restarts from
// there with a new lead and τ half as long again, the stall is counted
// (pace_stalls in the log, /metrics) and the model is calibrated again:
// since a piece's cost does not depend on the watermark's decision, a
// stall says nothing about it.
//
// The cost is that watermarked text streams at one request a token, not
// the speculative rate; see docs/gateway-hardening.md for the measurement.
// Unwatermarked generations are released as generated: there is no
// rejection to hide.

// paceMode is how a pacer releases text.
type paceMode int

const (
	paceNow paceMode = iota // as generated
	paceTau                 // on the schedule
)

// pacer buffers one generation's text and releases it.
type pacer struct {
	mode paceMode
	tau  time.Duration
	lead time.Duration
	now  func() time.Time

	mu     sync.Mutex
	chunks []pacedChunk
	avail  int       // pieces generated
	first  time.Time // when piece 1 was generated
	done   bool
	failed bool
	wake   chan struct{}
}

type pacedChunk struct {
	text string
	n    int // pieces generated when the text became final
}

func newPacer(mode paceMode, tau, lead time.Duration, now func() time.Time) *pacer {
	return &pacer{mode: mode, tau: tau, lead: lead, now: now, wake: make(chan struct{}, 1)}
}

func (p *pacer) notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// add takes text that became final when n pieces had been generated (text
// may be empty: a piece whose text is held back).
func (p *pacer) add(text string, n int) {
	p.mu.Lock()
	t := p.now()
	if n > p.avail {
		if p.avail == 0 && p.first.IsZero() {
			p.first = t
		}
		p.avail = n
	}
	if text != "" {
		p.chunks = append(p.chunks, pacedChunk{text: text, n: n})
	}
	p.mu.Unlock()
	p.notify()
}

// setFirst fixes when piece 1 counts as generated (planted answers, which
// no model generates, take a generation's usual first-piece time).
func (p *pacer) setFirst(t time.Time) {
	p.mu.Lock()
	p.first = t
	p.mu.Unlock()
}

// finish marks the generation ended; failed releases what is buffered at
// once (an error is not paced).
func (p *pacer) finish(failed bool) {
	p.mu.Lock()
	p.done, p.failed = true, failed
	p.mu.Unlock()
	p.notify()
}

// release writes the text on the pacer's schedule until the generation
// has ended and everything is out, then waits for the final message's
// time. It returns how many stalls there were, and write's error (a gone
// client) or ctx's.
func (p *pacer) release(ctx context.Context, write func(string) error) (stalls int, err error) {
	sc := &schedule{tau: p.tau}
	next := 0 // next chunk to send
	var out strings.Builder
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		avail, done := p.avail, p.done
		target, wait := p.plan(sc, p.now())
		out.Reset()
		for next < len(p.chunks) && p.chunks[next].n <= target {
			out.WriteString(p.chunks[next].text)
			next++
		}
		finished := done && target == avail && next == len(p.chunks)
		p.mu.Unlock()
		if out.Len() > 0 {
			if err := write(out.String()); err != nil {
				return sc.stalls, err
			}
		}
		sc.released = target
		if finished && wait < 0 {
			return sc.stalls, nil
		}
		if wait < 0 {
			wait = time.Hour
		}
		if err := p.sleep(ctx, timer, wait); err != nil {
			return sc.stalls, err
		}
	}
}

// schedule is release's state: what is out, and when the next pieces are
// due.
type schedule struct {
	tau      time.Duration // the pace, slowed by each stall
	released int           // pieces released
	base     int           // pieces released when the schedule (re)started
	anchor   time.Time     // due time of piece base+1
	waiting  bool          // everything generated is out and more is coming
	stalls   int
}

// due is when piece i may be out.
func (sc *schedule) due(i int) time.Time { return sc.anchor.Add(time.Duration(i-sc.base-1) * sc.tau) }

// plan returns how many pieces may be out at now (target) and how long
// until the next one or the final message is due (wait, -1: until woken).
// A generation that fell behind its schedule restarts it. Call it with
// p.mu held.
func (p *pacer) plan(sc *schedule, now time.Time) (target int, wait time.Duration) {
	avail, done := p.avail, p.done
	target, wait = sc.released, -1
	switch {
	case p.failed || p.mode == paceNow:
		target = avail
	case sc.anchor.IsZero() && p.first.IsZero():
		if done {
			target = avail // an empty answer: nothing to time
		}
	default:
		if sc.anchor.IsZero() {
			sc.anchor = p.first.Add(p.lead)
		}
		if sc.waiting && avail > sc.released && now.After(sc.due(sc.released+1)) {
			// Generation fell behind: restart the schedule from here,
			// with a new lead and a slower pace.
			sc.stalls++
			sc.tau += sc.tau / 2
			sc.base, sc.anchor = sc.released, now.Add(p.lead)
		}
		for target < avail && !now.Before(sc.due(target+1)) {
			target++
		}
		switch {
		case target < avail:
			wait = sc.due(target + 1).Sub(now)
		case done && now.Before(sc.due(avail+1)):
			wait = sc.due(avail + 1).Sub(now) // the final message's time
		case done && sc.waiting && now.After(sc.due(avail+1)):
			sc.stalls++ // the end came later than the final message was due
		}
	}
	sc.waiting = target == avail && !done
	return target, wait
}

// sleep waits for wait, new text or the end, or ctx.
func (p *pacer) sleep(ctx context.Context, timer *time.Timer, wait time.Duration) error {
	timer.Reset(wait)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.wake:
	case <-timer.C:
	}
	if !timer.Stop() {
		select {
		case <-timer.C:
		default:
		}
	}
	return nil
}

// paceKey is what τ is calibrated for: a model and a prompt size.
type paceKey struct {
	model string
	// bucket 0 holds prompts under 256 pieces, bucket b ≥ 1 those under
	// upperPieces(b) and at least upperPieces(b−1): quarter octaves, so
	// that a calibration at a bucket's upper end is at most 19% longer
	// than the prompts it stands for.
	bucket int
}

func paceKeyOf(model string, promptPieces int) paceKey {
	b := 0
	for promptPieces >= bucketUpper(b) {
		b++
	}
	return paceKey{model: model, bucket: b}
}

func bucketUpper(b int) int { return int(math.Ceil(256 * math.Pow(2, float64(b)/4))) }

// upperPieces is the size of the longest prompt of the bucket.
func (k paceKey) upperPieces() int { return bucketUpper(k.bucket) }

const (
	calibPieces  = 24               // pieces drawn one request each
	paceMargin   = 1.25             // over the median of them
	calibMaxAge  = 10 * time.Minute // then calibrate again, in the background
	calibTimeout = 2 * time.Minute
)

// paceCalibration holds τ and the time to the first piece per key.
type paceCalibration struct {
	mu      sync.Mutex
	entries map[paceKey]*calibEntry
}

type calibEntry struct {
	tau, first time.Duration
	at         time.Time
	running    chan struct{} // closed when the calibration in progress ends
	err        error
}

func newPaceCalibration() *paceCalibration {
	return &paceCalibration{entries: map[paceKey]*calibEntry{}}
}

// paceFor returns τ and the time to the first piece for a key, calibrating
// first if the key has never been calibrated (the request waits) or in the
// background when the last calibration is old or stale (stalled).
func (s *Server) paceFor(ctx context.Context, k paceKey) (tau, first time.Duration, err error) {
	pc := s.calib
	pc.mu.Lock()
	e := pc.entries[k]
	if e == nil {
		e = &calibEntry{}
		pc.entries[k] = e
	}
	if e.tau > 0 {
		tau, first = e.tau, e.first
		if e.running == nil && s.now().Sub(e.at) > calibMaxAge {
			s.startCalibration(k, e)
		}
		pc.mu.Unlock()
		return tau, first, nil
	}
	if e.running == nil {
		s.startCalibration(k, e)
	}
	running := e.running
	pc.mu.Unlock()
	select {
	case <-running:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if e.tau == 0 {
		return 0, 0, fmt.Errorf("calibrating the pace of %s: %w", k.model, e.err)
	}
	return e.tau, e.first, nil
}

// recalibrate refreshes a key in the background (after a stall).
func (s *Server) recalibrate(k paceKey) {
	pc := s.calib
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if e := pc.entries[k]; e != nil && e.running == nil && s.now().Sub(e.at) > time.Second {
		s.startCalibration(k, e)
	}
}

// startCalibration runs calibrate in a goroutine that Close waits for.
// Call with pc.mu held.
func (s *Server) startCalibration(k paceKey, e *calibEntry) {
	done := make(chan struct{})
	e.running = done
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(s.bgCtx, calibTimeout)
		defer cancel()
		tau, first, err := s.calibrate(ctx, k)
		s.calib.mu.Lock()
		if err == nil {
			e.tau, e.first, e.at = tau, first, s.now()
			s.slog.Info("pace calibrated", "model", k.model, "prompt_pieces_up_to", k.upperPieces(), "tau", tau, "first_piece", first)
		} else {
			s.slog.Error("pace calibration failed", "model", k.model, "err", err)
		}
		e.err, e.running = err, nil
		s.calib.mu.Unlock()
		close(done)
	}()
}

// calibrate measures what a paced piece costs for a key: a prompt of the
// bucket's largest size, then calibPieces pieces each drawn by its own
// upstream request, as paced generations draw them. τ is paceMargin times
// the median (robust to the odd cache miss, which the lead and the stall
// handling absorb; since a piece costs one request whatever the watermark
// decided, a stall says nothing about it); first is the time to the
// first piece.
func (s *Server) calibrate(ctx context.Context, k paceKey) (tau, first time.Duration, err error) {
	prompt, pieces, err := s.calibrationPrompt(k)
	if err != nil {
		return 0, 0, err
	}
	var generated []string
	var times []time.Duration
	for i := 0; i <= calibPieces; i++ {
		start := time.Now()
		got := false
		err := s.backend.Stream(ctx, llm.StreamRequest{Model: k.model, Prompt: prompt, PromptPieces: pieces, Generated: generated,
			Temperature: 1, TopK: 20, MaxTokens: 1, Seed: randomUint64()}, func(d llm.Draft) error {
			if !d.EOS && !llm.EndsMidCharacter(strings.Join(append(generated, d.Piece), "")) {
				generated = append(generated, d.Piece)
			}
			got = true
			return llm.ErrStop
		})
		if err != nil && !errors.Is(err, llm.ErrStop) {
			return 0, 0, err
		}
		if !got {
			return 0, 0, errors.New("the backend drew nothing")
		}
		d := time.Since(start)
		if i == 0 {
			first = d // includes reading the prompt
			continue
		}
		times = append(times, d)
	}
	slices.Sort(times)
	return time.Duration(paceMargin * float64(times[len(times)/2])), first, nil
}

// calibrationText is public-domain prose to build calibration prompts from
// (read once: splitting the corpus takes a while).
var calibrationText = sync.OnceValues(func() (string, error) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range paras {
		if b.Len() > 64<<10 {
			break
		}
		b.WriteString(p)
		b.WriteString("\n")
	}
	return b.String(), nil
})

// calibrationPrompt is prose of the bucket's largest size.
func (s *Server) calibrationPrompt(k paceKey) (string, []string, error) {
	base, err := calibrationText()
	if err != nil {
		return "", nil, err
	}
	want := min(k.upperPieces(), s.cfg.Requests.MaxPromptTokens)
	// Pieces of prose average under 4 bytes.
	text := strings.Repeat(base, 4*want/len(base)+1)
	pieces, _ := s.backend.Pieces(k.model, text, 0)
	if len(pieces) > want {
		// Cut to the bucket's size, at a piece boundary.
		n := 0
		for _, p := range pieces[:want] {
			n += len(p)
		}
		text, pieces = text[:n], pieces[:want]
	}
	return text, pieces, nil
}
