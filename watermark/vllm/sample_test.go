package vllm

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"
)

// samplerCase is a line of testdata/sampler_vectors.jsonl.
type samplerCase struct {
	Case, PRF, Key, Domain, Derived string
	Logits, Biased                  []float32
	Context                         []int64
	Gamma, Delta                    float64
	Green                           []int
	Token, Width                    int
	Value                           float32
	Dedup                           bool
	Tokens, Skipped                 []int64
}

func readSamplerCases(t *testing.T) []samplerCase {
	t.Helper()
	f, err := os.Open("testdata/sampler_vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []samplerCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c samplerCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func refPRF(t *testing.T, name, key string) PRF {
	t.Helper()
	switch name {
	case "philox4x32-10-v1":
		k, err := strconv.ParseUint(key, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return PhiloxPRF{Key: k}
	case "hmac-sha256-v1":
		return HMACPRF{Key: hmacKey(t, key)}
	}
	t.Fatalf("PRF %q", name)
	return nil
}

// TestSamplersAgainstReference: the Go samplers agree with an independent
// implementation (testdata/sampler_ref.py, written from vLLM's source) on
// a fixed 16-token distribution: green lists and biased logits for two
// (gamma, delta), the Gumbel-max token and its float32 value, whole
// Gumbel generations with vLLM's context deduplication on and off, and
// the dual-key derived keys.
func TestSamplersAgainstReference(t *testing.T) {
	cases := readSamplerCases(t)
	logits := cases[0].Logits
	if cases[0].Case != "logits" || len(logits) != 16 {
		t.Fatalf("first line: %+v", cases[0])
	}
	n := map[string]int{}
	for _, c := range cases[1:] {
		n[c.Case]++
		switch c.Case {
		case "red_green":
			rg := RedGreen{PRF: refPRF(t, c.PRF, c.Key), Width: len(c.Context), Gamma: c.Gamma, Delta: c.Delta}
			var green []int
			for tok := range logits {
				g := 0
				if Green(rg.PRF.UniformOf(c.Context, int64(tok)), c.Gamma) {
					g = 1
				}
				green = append(green, g)
			}
			if !slices.Equal(green, c.Green) {
				t.Errorf("%s key %s %v gamma %v: green %v, want %v", c.PRF, c.Key, c.Context, c.Gamma, green, c.Green)
			}
			if b := rg.Bias(logits, c.Context); !slices.Equal(b, c.Biased) {
				t.Errorf("%s key %s %v: biased %v, want %v", c.PRF, c.Key, c.Context, b, c.Biased)
			}
		case "gumbel":
			g := Gumbel{PRF: refPRF(t, c.PRF, c.Key), Width: len(c.Context)}
			if tok := g.Sample(logits, c.Context, nil); tok != c.Token {
				t.Errorf("%s key %s %v: Gumbel token %d, want %d", c.PRF, c.Key, c.Context, tok, c.Token)
			}
			if v := logits[c.Token] - GumbelNoise(g.PRF.UniformOf(c.Context, int64(c.Token))); v != c.Value {
				t.Errorf("%s key %s %v: value %v, want %v", c.PRF, c.Key, c.Context, v, c.Value)
			}
		case "generate":
			checkGeneration(t, c, logits)
		case "derive":
			k, _ := strconv.ParseUint(c.Key, 10, 64)
			if got := strconv.FormatUint(DeriveKey(k, c.Domain), 10); got != c.Derived {
				t.Errorf("DeriveKey(%s, %s) = %s, want %s", c.Key, c.Domain, got, c.Derived)
			}
		default:
			t.Fatalf("case %q", c.Case)
		}
	}
	if n["red_green"] < 16 || n["gumbel"] < 8 || n["generate"] < 6 || n["derive"] < 6 {
		t.Fatalf("reference cases: %v", n)
	}
}

// checkGeneration runs the engine on the fixed logits with the
// reference's stand-in ordinary sampler (its k-th call returns
// (5k + 3) mod 16) and compares tokens and skipped positions.
func checkGeneration(t *testing.T, c samplerCase, logits []float32) {
	t.Helper()
	var skipped []int64
	pos := 0
	ordinary := func([]float32) int {
		tok := (5*len(skipped) + 3) % 16
		skipped = append(skipped, int64(pos))
		return tok
	}
	e := Engine{Watermarker: Gumbel{PRF: refPRF(t, c.PRF, c.Key), Width: c.Width}, Temperature: 1, Dedup: c.Dedup}
	next := func(prefix []int32) []float32 {
		pos = len(prefix)
		return logits
	}
	got := e.run(next, nil, len(c.Tokens), ordinary)
	if !slices.Equal(got, c.Tokens) || !slices.Equal(skipped, c.Skipped) {
		t.Errorf("%s key %s width %d dedup %v:\n got %v skipped %v\nwant %v skipped %v", c.PRF, c.Key, c.Width, c.Dedup, got, skipped, c.Tokens, c.Skipped)
	}
}
