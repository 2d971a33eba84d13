package watermark

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/dchest/siphash"
)

// Scheme evaluates the keyed green-list test of one key. It is immutable and
// safe for concurrent use.
type Scheme struct {
	params    Params
	keyID     string
	k0, k1    uint64 // SipHash key of the green-list PRF
	pos0      uint64 // reserved: payload position PRF (see SPEC.md)
	pos1      uint64
	sampling  [32]byte // HMAC key of SamplingSeed
	threshold uint64   // green iff (v >> 11) < threshold, threshold = ceil(γ·2^53)
}

// HKDF inputs (SPEC.md, "Subkeys").
const (
	hkdfSalt        = "forensics/kgw-siphash24-v1"
	infoGreen       = "green-list"
	infoPayloadPos  = "payload-position"
	infoSampling    = "sampling-seed"
	infoCanaries    = "canaries"
	fingerprintSeed = "forensics/piece-fingerprint/v1"
)

// fpK0, fpK1 key the public piece fingerprint: the first 16 bytes of
// SHA-256(fingerprintSeed), as two little-endian uint64s. The fingerprint is
// deliberately unkeyed so that it is the same under every key.
var fpK0, fpK1 = func() (uint64, uint64) {
	d := sha256.Sum256([]byte(fingerprintSeed))
	return binary.LittleEndian.Uint64(d[0:8]), binary.LittleEndian.Uint64(d[8:16])
}()

// String shows the key id and parameters; the derived subkeys, which are
// as good as the key for detecting or forging, are never formatted.
func (s *Scheme) String() string {
	return fmt.Sprintf("scheme for key %s (γ=%v δ=%v h=%d)", s.keyID, s.params.Gamma, s.params.Delta, s.params.ContextWidth)
}

// Format keeps every verb (%v, %+v, %#v, …) from printing the subkeys.
func (s *Scheme) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// NewScheme derives the key's subkeys.
func NewScheme(k *Key) *Scheme {
	s := &Scheme{params: k.Params, keyID: k.ID, threshold: greenThreshold(k.Gamma)}
	s.k0, s.k1 = subkey(k.secret[:], infoGreen)
	s.pos0, s.pos1 = subkey(k.secret[:], infoPayloadPos)
	b, err := hkdf.Key(sha256.New, k.secret[:], []byte(hkdfSalt), infoSampling, len(s.sampling))
	if err != nil {
		panic("watermark: hkdf: " + err.Error())
	}
	copy(s.sampling[:], b)
	return s
}

// SamplingSeed derives the secret seed of one watermarked generation:
// HMAC-SHA256 under the key's sampling subkey over the parts, each
// preceded by its length (LE64), so that no two lists of parts give the
// same input. The gateway passes what identifies a request (account,
// model, prompt, sampling options, the client's seed): the same request
// with the same client seed gets the same answer, and a client learns
// nothing about the draws, because it does not know the subkey.
//
// Every random draw of a watermarked generation must come from such a
// seed. A seed the client knows would let it replay the drafts with the
// public model and read the green list off the rejections.
func (s *Scheme) SamplingSeed(parts ...[]byte) [32]byte {
	m := hmac.New(sha256.New, s.sampling[:])
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		m.Write(n[:])
		m.Write(p)
	}
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// CanarySeed derives the seed of the deployment's secret canary set
// (canary.NewSecret): 32 bytes of the key's HKDF with info "canaries".
// The gateway plants the set's answers and the probe asks its triggers;
// both derive it from the key, so the set is never stored or shipped.
func (k *Key) CanarySeed() [32]byte {
	b, err := hkdf.Key(sha256.New, k.secret[:], []byte(hkdfSalt), infoCanaries, 32)
	if err != nil {
		panic("watermark: hkdf: " + err.Error())
	}
	var out [32]byte
	copy(out[:], b)
	return out
}

func subkey(secret []byte, info string) (uint64, uint64) {
	b, err := hkdf.Key(sha256.New, secret, []byte(hkdfSalt), info, 16)
	if err != nil {
		// hkdf.Key fails only for lengths above 255·32 bytes.
		panic("watermark: hkdf: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[0:8]), binary.LittleEndian.Uint64(b[8:16])
}

// greenThreshold is ceil(γ·2^53). γ·2^53 is exact in float64 (a power-of-two
// scaling), and for an integer v < 2^53, v < γ·2^53 ⇔ v < ceil(γ·2^53).
func greenThreshold(gamma float64) uint64 {
	return uint64(math.Ceil(gamma * (1 << 53)))
}

// Params returns the scheme's parameters.
func (s *Scheme) Params() Params { return s.params }

// KeyID returns the id of the key the scheme was derived from.
func (s *Scheme) KeyID() string { return s.keyID }

// Fingerprint returns the public 64-bit fingerprint of a piece:
// SipHash-2-4 under the fixed key derived from fingerprintSeed.
func Fingerprint(piece string) uint64 {
	// The PRF reads the bytes and keeps nothing, so the string's memory is
	// passed without a copy.
	return siphash.Hash(fpK0, fpK1, unsafe.Slice(unsafe.StringData(piece), len(piece)))
}

// Value returns the 64-bit PRF output for a candidate piece (by fingerprint)
// after the context ctx, the fingerprints of the preceding h pieces, oldest
// first. Only the last h entries of ctx are used; a shorter ctx is an error
// of the caller (detection skips those positions) and panics.
func (s *Scheme) Value(ctx []uint64, piece uint64) uint64 {
	return sipHashWords(s.k0, s.k1, ctx[len(ctx)-s.params.ContextWidth:], piece)
}

// IsGreen reports whether a PRF value falls in the green list.
func (s *Scheme) IsGreen(v uint64) bool { return v>>11 < s.threshold }

// U maps a PRF value to [0,1): (v >> 11)·2^-53.
func U(v uint64) float64 { return float64(v>>11) / (1 << 53) }

// Green is the whole test for one piece after a context of fingerprints.
func (s *Scheme) Green(ctx []uint64, piece string) bool {
	return s.IsGreen(s.Value(ctx, Fingerprint(piece)))
}

// Context holds the fingerprints of the last h pieces of a sequence.
type Context struct {
	h   int
	n   int // pieces pushed so far, saturating at h
	fps [MaxContextWidth]uint64
}

// NewContext returns an empty context for width h (0..MaxContextWidth).
func NewContext(h int) *Context { return &Context{h: h} }

// Push appends a piece's fingerprint, dropping the oldest beyond h.
func (c *Context) Push(fp uint64) {
	if c.h == 0 {
		return
	}
	if c.n < c.h {
		c.fps[c.n] = fp
		c.n++
		return
	}
	copy(c.fps[:c.h-1], c.fps[1:c.h])
	c.fps[c.h-1] = fp
}

// Full reports whether h pieces have been seen, so the green test is defined.
func (c *Context) Full() bool { return c.n == c.h }

// Fingerprints returns the current context, oldest first (length ≤ h).
func (c *Context) Fingerprints() []uint64 { return c.fps[:c.n] }

// Reset empties the context.
func (c *Context) Reset() { c.n = 0 }
