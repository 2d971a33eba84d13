// Package sidechannel measures what a client can read off the timing of a
// watermarked stream: the attack of issue 13 as code, shared by the
// gateway's tests and the end-to-end tests against Ollama. A harvester
// records when each streamed frame arrives and calls the piece before a
// long pause green (a rejected draft restarts the upstream stream, and the
// piece that replaces it is always green); the measures here score that
// guess against the truth the gateway's trace gives.
package sidechannel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"time"

	"forensics/generate"
	"forensics/stats"
)

// Frame is one streamed NDJSON line's text and when the client read it.
type Frame struct {
	At   time.Time
	Text string
}

// ReadNDJSON reads an Ollama-style stream (lines with "response" or
// "message.content") and stamps each frame with its arrival time.
func ReadNDJSON(r io.Reader) ([]Frame, error) {
	var frames []Frame
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		at := time.Now()
		if len(bytes.TrimSpace(line)) > 0 {
			var c struct {
				Response string `json:"response"`
				Message  struct {
					Content string `json:"content"`
				} `json:"message"`
			}
			if json.Unmarshal(line, &c) == nil && c.Response+c.Message.Content != "" {
				frames = append(frames, Frame{At: at, Text: c.Response + c.Message.Content})
			}
		}
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
	}
}

// Gaps pairs the pause after each frame (but the last) with the green bit
// of the piece that ended the frame: what the attacker wants to know.
// Pieces the key did not watermark (the first h) are left out.
func Gaps(frames []Frame, toks []generate.Token) (green, red []float64) {
	ends := make([]int, len(toks))
	end := 0
	for i, tk := range toks {
		end += len(tk.Piece)
		ends[i] = end
	}
	off := 0
	for k := 0; k+1 < len(frames); k++ {
		off += len(frames[k].Text)
		j := sort.SearchInts(ends, off+1) - 1 // the last piece ending at or before off
		if j < 0 || !toks[j].Watermarked {
			continue
		}
		gap := frames[k+1].At.Sub(frames[k].At).Seconds()
		if toks[j].Green {
			green = append(green, gap)
		} else {
			red = append(red, gap)
		}
	}
	return green, red
}

// Result is how well pauses tell green pieces apart.
type Result struct {
	// AUC of "a longer pause follows a green piece", with its DeLong
	// interval: 0.5 is chance.
	AUC stats.AUCResult
	// TopGreen is the green share of the pieces before the longest 5% of
	// pauses, BaseGreen the share over all pieces.
	TopGreen, BaseGreen float64
}

// Score measures the attack over all the samples gathered.
func Score(green, red []float64) (Result, error) {
	auc, err := stats.AUC(green, red, 0.95)
	if err != nil {
		return Result{}, err
	}
	type sample struct {
		gap   float64
		green bool
	}
	all := make([]sample, 0, len(green)+len(red))
	for _, g := range green {
		all = append(all, sample{g, true})
	}
	for _, r := range red {
		all = append(all, sample{r, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].gap > all[j].gap })
	top := all[:max(1, len(all)/20)]
	n := 0
	for _, s := range top {
		if s.green {
			n++
		}
	}
	return Result{AUC: auc, TopGreen: float64(n) / float64(len(top)), BaseGreen: float64(len(green)) / float64(len(all))}, nil
}

// Found reports whether the attack clearly found a channel: the lower
// end of the AUC's 95% interval above 0.6. Tests use it as their power
// check (the attack must work on the undefended gateway); it asks for a
// channel well beyond any AtChance tolerance, not for the strength one
// quiet machine showed, which a loaded CI machine does not repeat (Ollama
// unpaced: AUC 0.766 alone, 0.676 with the other test packages running).
func (r Result) Found() bool { return r.AUC.Lo > 0.6 }

// AtChance reports whether a result shows no channel: the AUC within
// ±tolerance of 0.5 and not significantly off it at the 0.1% level (timing
// cannot be seeded, so a test using this fails by chance about once in a
// thousand runs when its samples make 3.29 standard errors smaller than
// the tolerance).
func (r Result) AtChance(tolerance float64) bool {
	off := r.AUC.AUC - 0.5
	if off < 0 {
		off = -off
	}
	return off <= tolerance && off <= 3.29*r.AUC.SE
}
