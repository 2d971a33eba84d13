package vllm

import (
	"bufio"
	"encoding/json"
	"math/big"
	"os"
	"strconv"
	"testing"
)

// refCase is a line of testdata/prf_vectors.jsonl.
type refCase struct {
	PRF, Key, Stream string
	Context          []int64
	Token            int64
	Word             uint32
	Uniform          float32
}

func readRef(t *testing.T) []refCase {
	t.Helper()
	f, err := os.Open("testdata/prf_vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []refCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c refCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// hmacKey is a key integer's 32 little-endian bytes, as vLLM makes them.
func hmacKey(t *testing.T, dec string) [32]byte {
	t.Helper()
	n, ok := new(big.Int).SetString(dec, 10)
	if !ok {
		t.Fatalf("key %q", dec)
	}
	var k [32]byte
	be := n.FillBytes(make([]byte, 32))
	for i := range k {
		k[i] = be[31-i]
	}
	return k
}

// TestPRFsAgainstReference: the Go PRFs give the words and uniforms of an
// independent implementation with plain Python integers and the standard
// library (testdata/prf_ref.py, written from vLLM's source; its output is
// testdata/prf_vectors.jsonl), over empty, short, multi-block, negative
// and all-ones contexts, both key halves and both stream halves.
func TestPRFsAgainstReference(t *testing.T) {
	n := map[string]int{}
	for _, c := range readRef(t) {
		var got uint32
		switch c.PRF {
		case "philox4x32-10-v1":
			key, _ := strconv.ParseUint(c.Key, 10, 64)
			stream, _ := strconv.ParseUint(c.Stream, 10, 64)
			ctx := make([]uint32, len(c.Context))
			for i, v := range c.Context {
				ctx[i] = uint32(v) // vLLM masks the int64 ids to 32 bits
			}
			got = PhiloxPRF{Key: key}.Uint32Stream(ctx, uint32(c.Token), stream)
		case "hmac-sha256-v1":
			got = HMACPRF{Key: hmacKey(t, c.Key)}.Uint32(c.Context, c.Token)
		default:
			t.Fatalf("PRF %q", c.PRF)
		}
		if got != c.Word {
			t.Errorf("%s key %s context %v token %d: word %d, want %d", c.PRF, c.Key, c.Context, c.Token, got, c.Word)
		}
		if u := ToUniform(c.Word); u != c.Uniform {
			t.Errorf("uniform of %d: %v, want %v", c.Word, u, c.Uniform)
		}
		n[c.PRF]++
	}
	if n["philox4x32-10-v1"] < 5 || n["hmac-sha256-v1"] < 4 {
		t.Fatalf("reference vectors: %v", n)
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

// TestGreenComparesInFloat32: gamma is rounded to float32 before the
// comparison, as torch does with a Python float against a float32 tensor.
// With gamma 0.7, which float32 rounds down, the uniform float32(0.7) is
// below gamma in float64 but not green.
func TestGreenComparesInFloat32(t *testing.T) {
	g := 0.7
	u := float32(g)
	if !(float64(u) < g) {
		t.Fatalf("test premise: float32(0.7) = %v is not below 0.7", float64(u))
	}
	if Green(u, g) {
		t.Error("float32(gamma) is green: the comparison was made in float64")
	}
	if !Green(u-1e-7, g) {
		t.Error("a uniform below float32(gamma) is not green")
	}
}

// TestPhiloxUniformsBatch: the batch method gives UniformOf's values for
// every token, including a vocabulary that is not a multiple of 4.
func TestPhiloxUniformsBatch(t *testing.T) {
	p := PhiloxPRF{Key: 0x0123456789ABCDEF}
	for _, ctx := range [][]int64{{}, {-1, -1, 7}, {1, 2, 3, 4, 5}} {
		us := p.Uniforms(ctx, 4103)
		for tok, u := range us {
			if want := p.UniformOf(ctx, int64(tok)); u != want {
				t.Fatalf("context %v token %d: %v, want %v", ctx, tok, u, want)
			}
		}
	}
}

// TestHMACUniformsBatch: the batch method gives UniformOf's values.
func TestHMACUniformsBatch(t *testing.T) {
	p := HMACPRF{Key: [32]byte{1, 2, 3, 250}}
	for _, ctx := range [][]int64{{}, {-1, -1, 7}, {1, 2, 3, 4, 5}} {
		for tok, u := range p.Uniforms(ctx, 300) {
			if want := p.UniformOf(ctx, int64(tok)); u != want {
				t.Fatalf("context %v token %d: %v, want %v", ctx, tok, u, want)
			}
		}
	}
}
