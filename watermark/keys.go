package watermark

import (
	"errors"
	"fmt"
	"math"

	"forensics/stats"
)

// CorrectionHolmKeys names the correction for the search over keys in
// results: Holm's step-down over every key tried, which bounds the chance
// that any key flags unwatermarked text by alpha, whatever the dependence
// between the keys' tests.
const CorrectionHolmKeys = "holm over keys"

// KeyScore is one key's line in a detection under several keys.
type KeyScore struct {
	KeyID        string `json:"key_id"`
	TokensScored int    `json:"tokens_scored"`
	Green        int    `json:"green"`
	// Log10P is the key's own whole-text tail; DecisionLog10P what its
	// decision would be alone (with windows, combined with the best window).
	Log10P         float64 `json:"log10_p"`
	DecisionLog10P float64 `json:"decision_log10_p"`
	// AdjustedLog10P is DecisionLog10P adjusted by Holm over all keys tried;
	// Watermarked is AdjustedLog10P ≤ log10 alpha.
	AdjustedLog10P float64 `json:"adjusted_log10_p"`
	Watermarked    bool    `json:"watermarked"`
}

// KeySearch says how a verdict was corrected for testing several keys.
type KeySearch struct {
	// KeysTried is the size of the family: every key the text was tested
	// under, whatever its result.
	KeysTried  int    `json:"keys_tried"`
	Correction string `json:"correction"`
	// AdjustedLog10P is the best key's adjusted p-value, the one the
	// verdict compares with alpha; with one key it is DecisionLog10P.
	AdjustedLog10P float64 `json:"adjusted_log10_p"`
	// Keys are all the keys tried, in the order given.
	Keys []KeyScore `json:"keys"`
}

// KeysResult is detection under several keys, corrected for the search.
// Result is the full result under the best key (the smallest decision
// p-value, the first given on ties), except that its Watermarked is the
// corrected verdict: true when some key's adjusted p-value is ≤ alpha.
type KeysResult struct {
	Result
	KeySearch
}

// CorrectForKeys combines the results of one text under several keys:
// each key's DecisionLog10P is adjusted by Holm's step-down over all of
// them (stats.HolmAdjustedLog10, in log space), and the verdict is taken
// on the adjusted values at alpha. With one result nothing changes but the
// added fields: its adjusted p-value is its own.
func CorrectForKeys(results []Result, alpha float64) (KeysResult, error) {
	if len(results) == 0 {
		return KeysResult{}, errors.New("watermark: no keys to correct over")
	}
	lp := make([]float64, len(results))
	for i, r := range results {
		lp[i] = r.DecisionLog10P
	}
	adj, err := stats.HolmAdjustedLog10(lp)
	if err != nil {
		return KeysResult{}, fmt.Errorf("watermark: %w", err)
	}
	best := 0
	out := KeysResult{KeySearch: KeySearch{KeysTried: len(results), Correction: CorrectionHolmKeys, Keys: make([]KeyScore, len(results))}}
	for i, r := range results {
		out.Keys[i] = KeyScore{
			KeyID: r.KeyID, TokensScored: r.TokensScored, Green: r.Green,
			Log10P: r.Log10P, DecisionLog10P: r.DecisionLog10P, AdjustedLog10P: adj[i],
			Watermarked: alpha > 0 && adj[i] <= math.Log10(alpha),
		}
		if lp[i] < lp[best] {
			best = i
		}
	}
	out.Result = results[best]
	out.Alpha = alpha
	out.AdjustedLog10P = adj[best]
	out.Watermarked = out.Keys[best].Watermarked
	return out, nil
}

// DetectTextKeys tests text under each of schemes (d.Scheme is not used)
// and corrects for the search over them (CorrectForKeys). The text and
// prompt are tokenized once.
func (d *Detector) DetectTextKeys(schemes []*Scheme, prompt, text string) (KeysResult, error) {
	pp, err := d.Pieces(prompt)
	if err != nil {
		return KeysResult{}, fmt.Errorf("tokenize prompt: %w", err)
	}
	pieces, err := d.Pieces(text)
	if err != nil {
		return KeysResult{}, fmt.Errorf("tokenize text: %w", err)
	}
	return d.DetectPiecesKeys(schemes, pp, pieces)
}

// DetectPiecesKeys is DetectTextKeys on pieces.
func (d *Detector) DetectPiecesKeys(schemes []*Scheme, promptPieces, pieces []string) (KeysResult, error) {
	results := make([]Result, len(schemes))
	dk := *d
	for i, s := range schemes {
		dk.Scheme = s
		results[i] = dk.DetectPieces(promptPieces, pieces)
		if d.Tokenizer != nil {
			results[i].Tokenizer = d.Tokenizer.ID()
		}
	}
	return CorrectForKeys(results, d.Alpha)
}
