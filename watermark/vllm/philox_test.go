package vllm

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// TestPhiloxAgainstReference: the Go PRF gives the words and uniforms of
// an independent implementation with plain Python integers
// (testdata/philox_ref.py, written from vLLM's source; its output is
// testdata/philox_vectors.jsonl), over empty, short, multi-block and
// all-ones contexts, both key halves and both stream halves.
func TestPhiloxAgainstReference(t *testing.T) {
	f, err := os.Open("testdata/philox_vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var c struct {
			Key, Stream string
			Context     []uint32
			Token       uint32
			Word        uint32
			Uniform     float32
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		key, _ := strconv.ParseUint(c.Key, 10, 64)
		stream, _ := strconv.ParseUint(c.Stream, 10, 64)
		p := PhiloxPRF{Key: key}
		if got := p.Uint32Stream(c.Context, c.Token, stream); got != c.Word {
			t.Errorf("key %d context %v token %d stream %d: word %d, want %d", key, c.Context, c.Token, stream, got, c.Word)
		}
		if got := ToUniform(c.Word); got != c.Uniform {
			t.Errorf("uniform of %d: %v, want %v", c.Word, got, c.Uniform)
		}
		n++
	}
	if n < 5 {
		t.Fatalf("%d reference vectors", n)
	}
}

// TestToUniformRange: the conversion never gives 0 or 1 (a Gumbel score
// takes the log of 1 − u).
func TestToUniformRange(t *testing.T) {
	for _, v := range []uint32{0, 0xff, 0x100, 0x7fffffff, 0xffffffff} {
		if u := ToUniform(v); !(u > 0 && u < 1) {
			t.Errorf("ToUniform(%#x) = %v", v, u)
		}
	}
}
