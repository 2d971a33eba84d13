package watermark

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dchest/siphash"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the implementation")

// TestSipHashReference pins the PRF to the SipHash-2-4 paper's test vector
// (Aumasson & Bernstein 2012, Appendix A): key 00..0f, message 00..0e.
func TestSipHashReference(t *testing.T) {
	key := make([]byte, 16)
	msg := make([]byte, 15)
	for i := range key {
		key[i] = byte(i)
	}
	for i := range msg {
		msg[i] = byte(i)
	}
	k0, k1 := binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:])
	if got := siphash.Hash(k0, k1, msg); got != 0xa129ca6149be45e5 {
		t.Fatalf("SipHash-2-4 = %#x, want 0xa129ca6149be45e5", got)
	}
}

// vectorFile is the published test-vector layout (testdata/vectors.json).
type vectorFile struct {
	Comment string      `json:"comment"`
	Keys    []vectorKey `json:"keys"`
}

type vectorKey struct {
	ID           string   `json:"id"`
	SecretHex    string   `json:"secret_hex"`
	Gamma        float64  `json:"gamma"`
	Delta        float64  `json:"delta"`
	ContextWidth int      `json:"context_width"`
	PayloadBits  int      `json:"payload_bits"`
	Commitment   string   `json:"commitment"`
	GreenSubkey  string   `json:"green_subkey_hex"`
	Cases        []vector `json:"cases"`
}

type vector struct {
	// ContextHex and PieceHex are authoritative (pieces are byte strings and
	// need not be UTF-8); Context and Piece show them as text for readers.
	ContextHex  []string `json:"context_hex"`
	PieceHex    string   `json:"piece_hex"`
	Context     []string `json:"context"`
	Piece       string   `json:"piece"`
	Fingerprint string   `json:"piece_fingerprint"` // hex of the uint64
	PRFInputHex string   `json:"prf_input_hex"`
	Value       string   `json:"value"` // hex of the PRF's uint64
	U           float64  `json:"u"`
	Green       bool     `json:"green"`
}

func buildVectors() vectorFile {
	var secret [32]byte
	for i := range secret {
		secret[i] = byte(i)
	}
	contexts := [][]string{
		{}, {"The"}, {" quick", " brown"}, {"\n", "日本", "語", "🙂"},
		{"a", "b", "c", "d", "e", "f", "g", "h"},
	}
	pieces := []string{" fox", "", "\xff", " the", "."}
	vf := vectorFile{Comment: "Test vectors for " + SchemeName + "; see watermark/SPEC.md. Inputs are the *_hex fields; context and piece repeat them as text (invalid UTF-8 shows as U+FFFD)."}
	for _, h := range []int{0, 1, 2, 4, 8} {
		p := Params{Gamma: 0.25, Delta: 2, ContextWidth: h}
		k, err := NewKeyFromSecret(fmt.Sprintf("spec-vector-h%d", h), p, secret, testTime)
		if err != nil {
			panic(err)
		}
		s := NewScheme(k)
		var sub [16]byte
		binary.LittleEndian.PutUint64(sub[:8], s.k0)
		binary.LittleEndian.PutUint64(sub[8:], s.k1)
		vk := vectorKey{ID: k.ID, SecretHex: hex.EncodeToString(secret[:]), Gamma: p.Gamma, Delta: p.Delta,
			ContextWidth: h, Commitment: k.Commitment(), GreenSubkey: hex.EncodeToString(sub[:])}
		for _, c := range contexts {
			if len(c) < h {
				continue
			}
			for _, piece := range pieces {
				ctx := make([]uint64, len(c))
				for i, cp := range c {
					ctx[i] = Fingerprint(cp)
				}
				fp := Fingerprint(piece)
				var in []byte
				for _, x := range ctx[len(ctx)-h:] {
					in = binary.LittleEndian.AppendUint64(in, x)
				}
				in = binary.LittleEndian.AppendUint64(in, fp)
				v := s.Value(ctx, fp)
				var ch []string
				for _, cp := range c {
					ch = append(ch, hex.EncodeToString([]byte(cp)))
				}
				vk.Cases = append(vk.Cases, vector{ContextHex: ch, PieceHex: hex.EncodeToString([]byte(piece)), Context: c, Piece: piece,
					Fingerprint: fmt.Sprintf("%016x", fp), PRFInputHex: hex.EncodeToString(in),
					Value: fmt.Sprintf("%016x", v), U: U(v), Green: s.IsGreen(v)})
			}
		}
		vf.Keys = append(vf.Keys, vk)
	}
	return vf
}

func TestVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.json")
	got := buildVectors()
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want vectorFile
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Keys) != len(got.Keys) {
		t.Fatalf("%d keys in vectors, %d computed", len(want.Keys), len(got.Keys))
	}
	greens, total := 0, 0
	for i, wk := range want.Keys {
		// Recompute everything from the file's own inputs.
		raw, err := hex.DecodeString(wk.SecretHex)
		if err != nil || len(raw) != 32 {
			t.Fatalf("key %s: bad secret_hex", wk.ID)
		}
		var secret [32]byte
		copy(secret[:], raw)
		k, err := NewKeyFromSecret(wk.ID, Params{Gamma: wk.Gamma, Delta: wk.Delta, ContextWidth: wk.ContextWidth, PayloadBits: wk.PayloadBits}, secret, testTime)
		if err != nil {
			t.Fatal(err)
		}
		s := NewScheme(k)
		var sub [16]byte
		binary.LittleEndian.PutUint64(sub[:8], s.k0)
		binary.LittleEndian.PutUint64(sub[8:], s.k1)
		if wk.Commitment != k.Commitment() || wk.GreenSubkey != hex.EncodeToString(sub[:]) {
			t.Errorf("key %s: commitment/subkey differ from the published vectors", wk.ID)
		}
		if len(wk.Cases) != len(got.Keys[i].Cases) {
			t.Errorf("key %s: %d cases published, %d built", wk.ID, len(wk.Cases), len(got.Keys[i].Cases))
		}
		for j, wc := range wk.Cases {
			var ctx []uint64
			var in []byte
			for _, ch := range wc.ContextHex {
				b, _ := hex.DecodeString(ch)
				ctx = append(ctx, Fingerprint(string(b)))
			}
			pb, _ := hex.DecodeString(wc.PieceHex)
			fp := Fingerprint(string(pb))
			for _, x := range ctx[len(ctx)-wk.ContextWidth:] {
				in = binary.LittleEndian.AppendUint64(in, x)
			}
			in = binary.LittleEndian.AppendUint64(in, fp)
			v := s.Value(ctx, fp)
			if wc.Fingerprint != fmt.Sprintf("%016x", fp) || wc.PRFInputHex != hex.EncodeToString(in) ||
				wc.Value != fmt.Sprintf("%016x", v) || wc.U != U(v) || wc.Green != s.IsGreen(v) ||
				wc.Green != (wc.U < wk.Gamma) {
				t.Errorf("key %s case %d (%q after %q) does not reproduce", wk.ID, j, wc.Piece, wc.Context)
			}
			total++
			if wc.Green {
				greens++
			}
		}
	}
	// The vectors must exercise both outcomes.
	if greens == 0 || greens == total {
		t.Fatalf("%d of %d vectors green: pick cases that show both", greens, total)
	}
}

func TestGreenThreshold(t *testing.T) {
	tests := []struct {
		gamma float64
		v     uint64 // a value whose top 53 bits are exactly at the boundary
		green bool
	}{
		{0.25, (1 << 51) << 11, false},      // u = 0.25 exactly: not < γ
		{0.25, ((1 << 51) - 1) << 11, true}, // just below
		{0.5, 0, true},
		{0.5, ^uint64(0), false},
	}
	for _, tt := range tests {
		s := &Scheme{threshold: greenThreshold(tt.gamma)}
		if got := s.IsGreen(tt.v); got != tt.green {
			t.Errorf("γ=%v v=%#x: green=%v, want %v (u=%v)", tt.gamma, tt.v, got, tt.green, U(tt.v))
		}
		if (U(tt.v) < tt.gamma) != tt.green {
			t.Errorf("IsGreen disagrees with u < γ at %#x", tt.v)
		}
	}
}

func TestGreenShareIsGamma(t *testing.T) {
	// Over many distinct pieces the green share must be γ: a binomial 6-sigma
	// band at n = 200000 is ±0.0058.
	for _, gamma := range []float64{0.1, 0.25, 0.5} {
		k := testKey(1, 9)
		k.Gamma = gamma
		s := NewScheme(k)
		ctx := []uint64{Fingerprint("ctx")}
		n, g := 200000, 0
		for i := 0; i < n; i++ {
			if s.Green(ctx, fmt.Sprint(i)) {
				g++
			}
		}
		if share := float64(g) / float64(n); share < gamma-0.006 || share > gamma+0.006 {
			t.Errorf("γ=%v: green share %v", gamma, share)
		}
	}
}

func TestContextDependence(t *testing.T) {
	// h=1: the green list must change with the previous piece; h=0 must not.
	for _, h := range []int{0, 1} {
		s := NewScheme(testKey(h, 4))
		differ := 0
		for i := 0; i < 1000; i++ {
			p := fmt.Sprint(" w", i)
			if s.Green([]uint64{Fingerprint("a")}, p) != s.Green([]uint64{Fingerprint("b")}, p) {
				differ++
			}
		}
		if h == 0 && differ != 0 || h == 1 && differ < 250 {
			t.Errorf("h=%d: %d of 1000 pieces change colour with the context", h, differ)
		}
	}
}

func TestContextRing(t *testing.T) {
	c := NewContext(3)
	for i := uint64(1); i <= 5; i++ {
		c.Push(i)
	}
	if got := c.Fingerprints(); len(got) != 3 || got[0] != 3 || got[2] != 5 || !c.Full() {
		t.Fatalf("context %v", got)
	}
	c0 := NewContext(0)
	c0.Push(1)
	if !c0.Full() || len(c0.Fingerprints()) != 0 {
		t.Fatal("h=0 context must be full and empty")
	}
}

func TestSipHashWordsMatchesLibrary(t *testing.T) {
	rng := NewRand(1)
	for i := 0; i < 20000; i++ {
		k0, k1 := rng.Uint64(), rng.Uint64()
		ctx := make([]uint64, rng.IntN(MaxContextWidth+1))
		var buf []byte
		for j := range ctx {
			ctx[j] = rng.Uint64()
			buf = binary.LittleEndian.AppendUint64(buf, ctx[j])
		}
		last := rng.Uint64()
		buf = binary.LittleEndian.AppendUint64(buf, last)
		if got, want := sipHashWords(k0, k1, ctx, last), siphash.Hash(k0, k1, buf); got != want {
			t.Fatalf("h=%d: %#x, library %#x", len(ctx), got, want)
		}
	}
}
