package engine

import (
	"errors"
	"fmt"
	"math"

	"forensics/watermark/vllm"
)

// Encoder splits text into a model's token ids, as the engine's tokenizer
// does (llm/tokenizer/hf for tokenizer.json; the embedded model's Vocab).
type Encoder interface {
	Encode(text string) ([]int32, error)
	ID() string
}

// Detection is one text's result under one key.
type Detection struct {
	KeyID  string `json:"key_id"`
	Scheme string `json:"scheme"`
	PRF    string `json:"prf"`
	// Tokens is the text's length in token ids; Scored the tokens the
	// detector scored (with dedup, each context once).
	Tokens int `json:"tokens"`
	Scored int `json:"scored"`
	// Statistic is the green count (red-green) or Σ −log(1 − u) (Gumbel);
	// StatisticName says which.
	Statistic     float64 `json:"statistic"`
	StatisticName string  `json:"statistic_name"`
	// Null is the statistic's distribution when the text does not depend
	// on the key, as the p-value uses it.
	Null   string  `json:"null"`
	Log10P float64 `json:"log10_p"`
}

// Detector tests token ids for one key's watermark. It is immutable and
// safe for concurrent use.
type Detector struct {
	key *Key
	prf vllm.PRF
}

// String names the detector's key, never its PRF's key.
func (d *Detector) String() string { return "detector for " + d.key.String() }

// GoString keeps %#v from printing the PRF's key.
func (d *Detector) GoString() string { return d.String() }

// Format keeps every verb from printing the PRF's key.
func (d *Detector) Format(f fmt.State, _ rune) { fmt.Fprint(f, d.String()) }

// NewDetector checks the key and builds its PRF.
func NewDetector(k *Key) (*Detector, error) {
	if k == nil {
		return nil, errors.New("no key")
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return &Detector{key: k, prf: k.NewPRF()}, nil
}

// Key returns the detector's key.
func (d *Detector) Key() *Key { return d.key }

// DetectIDs scores token ids as vLLM's detector selects them
// (watermark/vllm.ScoredTokens: the start padded with −1, each context
// once with dedup), with the exact p-value. Without dedup a repeated
// (context, token) tuple is still scored once: its uniform is the same
// number again, and counting it twice would make the p-value wrong
// (vLLM's detector with deduplicate_contexts=False counts it).
func (d *Detector) DetectIDs(ids []int64) Detection {
	return d.DetectPooled(nil, [][]int64{ids})
}

// DetectPooled scores several texts as one body of evidence, leaving out
// (context, token) tuples that occur in a prompt: each text starts its
// own context (−1 padding), and each context (or tuple, without dedup)
// counts once across all of them.
func (d *Detector) DetectPooled(prompts, docs [][]int64) Detection {
	return d.scoreSelected(selectPooled(d.key, prompts, docs))
}

func (d *Detector) base(tokens int) Detection {
	out := Detection{KeyID: d.key.ID, Scheme: d.key.Scheme, PRF: d.key.PRF, Tokens: tokens}
	if d.key.Scheme == SchemeRedGreen {
		out.StatisticName = "green tokens"
		out.Null = fmt.Sprintf("Binomial(scored, %.9g), the exact green share of the 24-bit uniform grid under γ = %v", vllm.GreenProbability(d.key.Gamma), d.key.Gamma)
	} else {
		out.StatisticName = "Σ −log(1 − u)"
		out.Null = "Gamma(scored, 1) at the score less scored·2^-24 (each term of the 24-bit grid is at most Exp(1) + 2^-24 in the stochastic order), a valid upper bound (package vllm)"
	}
	return out
}

// DetectText splits text with enc and scores its ids. The tokenizer must
// be the one the key names, if it names one: another tokenizer's ids find
// no watermark.
func (d *Detector) DetectText(enc Encoder, text string) (Detection, error) {
	if err := d.key.CheckTokenizer(enc.ID()); err != nil {
		return Detection{}, err
	}
	ids, err := enc.Encode(text)
	if err != nil {
		return Detection{}, fmt.Errorf("tokenize: %w", err)
	}
	return d.DetectIDs(widen(ids)), nil
}

// CheckTokenizer fails when the key names a tokenizer other than id.
func (k *Key) CheckTokenizer(id string) error {
	if k.Tokenizer != "" && k.Tokenizer != id {
		return fmt.Errorf("key %s was made for tokenizer %s, but the tokenizer given is %s: scoring with another tokenizer finds no watermark", k.ID, k.Tokenizer, id)
	}
	return nil
}

func widen(ids []int32) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

// Watermarked reports whether a detection's p-value is at most alpha.
func (r Detection) Watermarked(alpha float64) bool {
	return r.Scored > 0 && r.Log10P <= math.Log10(alpha)
}
