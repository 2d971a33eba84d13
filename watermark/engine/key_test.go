package engine

import (
	"bufio"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"
)

func mustKey(t testing.TB, scheme, prf string, secret string) *Key {
	t.Helper()
	s, ok := new(big.Int).SetString(secret, 10)
	if !ok {
		t.Fatalf("bad integer %q", secret)
	}
	g, d := 0.0, 0.0
	if scheme == SchemeRedGreen {
		g, d = DefaultGamma, DefaultDelta
	}
	k, err := NewKeyFromInt("k1", scheme, prf, s, DefaultContextWidth, g, d)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyRoundTrip(t *testing.T) {
	for _, scheme := range []string{SchemeRedGreen, SchemeGumbel} {
		for _, prf := range []string{PRFPhilox, PRFHMAC} {
			k, err := NewKey("", scheme, prf)
			if err != nil {
				t.Fatal(err)
			}
			k.Tokenizer = "sha256:abc"
			back, err := ParseKey(k.Marshal())
			if err != nil {
				t.Fatalf("%s/%s: %v\n%s", scheme, prf, err, k.Marshal())
			}
			if back.Commitment() != k.Commitment() || back.Tokenizer != k.Tokenizer || back.secret.Cmp(k.secret) != 0 {
				t.Errorf("%s/%s: the key changed in a round trip", scheme, prf)
			}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
				if s := fmtSprintf(verb, k); strings.Contains(s, k.secret.String()) {
					t.Errorf("%s prints the secret: %s", verb, s)
				}
			}
		}
	}
}

// TestVLLMConfig checks that the configuration written for vLLM is JSON
// with the fields its WatermarkConfig reads.
func TestVLLMConfig(t *testing.T) {
	k := mustKey(t, SchemeRedGreen, PRFHMAC, "340282366920938463463374607431768211457")
	var cfg map[string]any
	if err := json.Unmarshal([]byte(k.VLLMConfig()), &cfg); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"algorithm": "red_green", "prf": "hmac_sha256", "context_width": 4.0, "gamma": 0.25, "delta": 2.0}
	for f, v := range want {
		if cfg[f] != v {
			t.Errorf("%s = %v, want %v", f, cfg[f], v)
		}
	}
	// The integer must survive as an exact JSON number (no float rounding).
	if !strings.Contains(k.VLLMConfig(), `"key": 340282366920938463463374607431768211457,`) {
		t.Errorf("key not written exactly: %s", k.VLLMConfig())
	}
}

func TestParseKeyRefuses(t *testing.T) {
	const secret = "123456789012345"
	const nonce = "nonce: 00112233445566778899aabbccddeeff\n"
	good := "version: 1\nid: a\nscheme: vllm-gumbel\nprf: philox4x32-10-v1\ncontext_width: 4\ndedup: true\n" + nonce + "key: \"" + secret + "\"\n"
	if _, err := ParseKey([]byte(good)); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, text, want string }{
		{"empty", "", "empty"},
		{"unknown field", good + "extra: " + secret + "\n", "malformed"},
		{"no key", strings.Replace(good, "key: \""+secret+"\"\n", "", 1), "lacks key"},
		{"philox key too big", strings.Replace(good, secret, "18446744073709551616", 1), "0..2^64"},
		{"negative", strings.Replace(good, secret, "-"+secret, 1), "non-negative decimal"},
		{"hex", strings.Replace(good, secret, "0x"+secret, 1), "non-negative decimal"},
		{"red-green without gamma", strings.Replace(good, "vllm-gumbel", "vllm-red-green", 1), "gamma and delta"},
		{"gumbel with gamma", good + "gamma: 0.5\ndelta: 2\n", "belong to the red-green"},
		{"width 0", strings.Replace(good, "context_width: 4", "context_width: 17", 1), "context width"},
		{"unknown prf", strings.Replace(good, "philox4x32-10-v1", "md5", 1), "not supported"},
		{"our scheme", strings.Replace(good, "vllm-gumbel", "kgw-siphash24-v1", 1), "not an engine scheme"},
		{"version", strings.Replace(good, "version: 1", "version: 2", 1), "version is not supported"},
		{"no dedup", strings.Replace(good, "dedup: true\n", "", 1), "lacks dedup"},
		{"no nonce", strings.Replace(good, nonce, "", 1), "lacks nonce"},
		{"short nonce", strings.Replace(good, "eeff", "", 1), "32 hex digits"},
		{"weak key", strings.Replace(good, secret, "42", 1), "below 2^32"},
		{"just below the floor", strings.Replace(good, secret, "4294967295", 1), "below 2^32"},
		// Values put in other fields are never echoed.
		{"secret in version", strings.Replace(good, "version: 1", "version: "+secret, 1), "version is not supported"},
		{"secret in prf", strings.Replace(good, "philox4x32-10-v1", secret, 1), "not supported"},
		{"secret in width", strings.Replace(good, "context_width: 4", "context_width: "+secret, 1), "context width"},
		{"secret in scheme", strings.Replace(good, "vllm-gumbel", secret, 1), "not an engine scheme"},
		{"secret in gamma", strings.Replace(good, "vllm-gumbel", "vllm-red-green", 1) + "gamma: " + secret + "\ndelta: 2\n", "gamma is outside"},
		{"secret in delta", strings.Replace(good, "vllm-gumbel", "vllm-red-green", 1) + "gamma: 0.5\ndelta: " + secret + "\n", "delta is outside"},
	}
	for _, c := range cases {
		_, err := ParseKey([]byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error quotes the secret: %v", c.name, err)
		}
	}
}

// TestKeyFormMatchesReference checks the key file's integer through to
// the PRF against the second implementation's vectors (testdata of
// watermark/vllm, plain Python integers): the integer the engine is
// configured with is the integer this project reads.
func TestKeyFormMatchesReference(t *testing.T) {
	f, err := os.Open("../vllm/testdata/prf_vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var v struct {
			PRF     string  `json:"prf"`
			Key     string  `json:"key"`
			Context []int64 `json:"context"`
			Token   int64   `json:"token"`
			Stream  string  `json:"stream"`
			Uniform float32 `json:"uniform"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if v.Stream != "0" {
			continue // detection uses stream 0 only
		}
		k := mustKey(t, SchemeGumbel, v.PRF, v.Key)
		if got := k.NewPRF().UniformOf(v.Context, v.Token); got != v.Uniform {
			t.Errorf("%s key %s: uniform %v, reference %v", v.PRF, v.Key, got, v.Uniform)
		}
		n++
	}
	if n < 4 {
		t.Fatalf("only %d vectors compared", n)
	}
}

// TestCommitmentSalted: the same engine integer imported twice has two
// commitments, so a published commitment cannot be searched for the key.
func TestCommitmentSalted(t *testing.T) {
	n, _ := new(big.Int).SetString("5000000000000", 10)
	a, err := Import("a", SchemeGumbel, PRFPhilox, n, 4, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Import("a", SchemeGumbel, PRFPhilox, n, 4, 0, 0)
	if a.Commitment() == b.Commitment() {
		t.Fatal("two imports of one key share a commitment: it is not salted")
	}
	if _, err := Import("a", SchemeGumbel, PRFPhilox, big.NewInt(1<<32-1), 4, 0, 0); err == nil {
		t.Fatal("a key below 2^32 was imported")
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("version: 1\nid: a\nscheme: vllm-gumbel\nprf: philox4x32-10-v1\ncontext_width: 4\ndedup: true\nnonce: 00112233445566778899aabbccddeeff\nkey: \"42000000000000\"\n"))
	f.Add([]byte("version: 1\nid: a\nscheme: vllm-red-green\nprf: hmac-sha256-v1\ncontext_width: 16\ngamma: 0.5\ndelta: 1\ndedup: false\nnonce: 00112233445566778899aabbccddeeff\nkey: \"99999999999999999999999\"\n"))
	f.Add([]byte("key: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
		if err != nil {
			return
		}
		back, err := ParseKey(k.Marshal())
		if err != nil {
			t.Fatalf("a parsed key does not parse again: %v", err)
		}
		if back.Commitment() != k.Commitment() {
			t.Fatal("commitment changed in a round trip")
		}
	})
}
