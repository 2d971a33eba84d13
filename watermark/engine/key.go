package engine

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"forensics/internal/keyfile"
	"forensics/watermark/vllm"
)

// Scheme names, as key files and results write them.
const (
	SchemeRedGreen = "vllm-red-green"
	SchemeGumbel   = "vllm-gumbel"
)

// PRF names (vLLM's own version strings; its config calls them "philox"
// and "hmac_sha256").
const (
	PRFPhilox = "philox4x32-10-v1"
	PRFHMAC   = "hmac-sha256-v1"
)

// Defaults are vLLM's (config/watermarking.py and red_green.py): context
// width 4, γ 0.25, δ 2, detection deduplicating contexts.
const (
	DefaultContextWidth = 4
	DefaultGamma        = 0.25
	DefaultDelta        = 2.0
)

// Key is an engine watermark's key: the scheme, its parameters and the
// secret integer in the engine's form. The secret is unexported and never
// formatted.
type Key struct {
	ID      string
	Created time.Time
	Scheme  string
	PRF     string
	// ContextWidth is the number of preceding token ids the PRF reads.
	ContextWidth int
	// Gamma and Delta are the red-green scheme's green share and logit
	// bias (zero for Gumbel).
	Gamma, Delta float64
	// Dedup scores each context once, as vLLM's detector does by default.
	Dedup bool
	// Tokenizer optionally names the served model's tokenizer (its id);
	// detection refuses any other.
	Tokenizer string
	secret    *big.Int
	// nonce salts the commitment: without it a published commitment of a
	// small key could be searched (SHA-256 of public fields and the key).
	nonce [16]byte
}

// MinKeyBits: a key file's integer must be at least 2^MinKeyBits. A small
// integer is a key anyone can guess, and another deployment configured
// with the same integer writes text carrying "our" watermark, so text
// under it is no evidence. (NewKeyFromInt, for published test vectors,
// does not check it.)
const MinKeyBits = 32

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

var tokenizerIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$`)

// keyBits is the size of a PRF's key: vLLM refuses larger integers
// (config/watermarking.py: 64 bits for philox, 256 for hmac_sha256).
func keyBits(prf string) (int, error) {
	switch prf {
	case PRFPhilox:
		return 64, nil
	case PRFHMAC:
		return 256, nil
	}
	return 0, fmt.Errorf("the prf is not supported (want %s or %s)", PRFPhilox, PRFHMAC)
}

// Validate reports the first parameter out of range.
func (k *Key) Validate() error {
	if !idPattern.MatchString(k.ID) {
		return errors.New("key id is not valid (1-64 letters, digits, '.', '_' or '-')")
	}
	bits, err := keyBits(k.PRF)
	if err != nil {
		return err
	}
	switch k.Scheme {
	case SchemeRedGreen:
		if math.IsNaN(k.Gamma) || k.Gamma <= 0 || k.Gamma >= 1 {
			return errors.New("gamma is outside (0,1)")
		}
		if math.IsNaN(k.Delta) || k.Delta <= 0 || k.Delta > 50 {
			return errors.New("delta is outside (0,50]")
		}
	case SchemeGumbel:
		if k.Gamma != 0 || k.Delta != 0 {
			return errors.New("gamma and delta belong to the red-green scheme, not to Gumbel-max")
		}
	default:
		return fmt.Errorf("the scheme is not an engine scheme (want %s or %s)", SchemeRedGreen, SchemeGumbel)
	}
	if k.ContextWidth < 1 || k.ContextWidth > vllm.MaxContextWidth {
		return fmt.Errorf("context width is outside 1..%d (vLLM's range)", vllm.MaxContextWidth)
	}
	if k.secret == nil || k.secret.Sign() < 0 || k.secret.BitLen() > bits {
		return fmt.Errorf("the key integer must be in 0..2^%d−1 for %s", bits, k.PRF)
	}
	if k.Tokenizer != "" && !tokenizerIDPattern.MatchString(k.Tokenizer) {
		return errors.New("tokenizer must be a tokenizer id (sha256:… or a built-in name)")
	}
	return nil
}

// NewKey makes a key with a fresh secret integer of the PRF's full size
// from crypto/rand. An empty id gets a random one ("ek-" and 12 hex
// digits).
func NewKey(id, scheme, prf string) (*Key, error) {
	bits, err := keyBits(prf)
	if err != nil {
		return nil, err
	}
	b := make([]byte, bits/8)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return nil, fmt.Errorf("read random key: %w", err)
	}
	// The top bit set: a fresh key is never below the floor, at the cost
	// of one bit.
	b[0] |= 0x80
	if id == "" {
		var r [6]byte
		if _, err := io.ReadFull(rand.Reader, r[:]); err != nil {
			return nil, fmt.Errorf("read random id: %w", err)
		}
		id = "ek-" + hex.EncodeToString(r[:])
	}
	k := &Key{ID: id, Created: time.Now().UTC().Truncate(time.Second), Scheme: scheme, PRF: prf,
		ContextWidth: DefaultContextWidth, Dedup: true, secret: new(big.Int).SetBytes(b)}
	if scheme == SchemeRedGreen {
		k.Gamma, k.Delta = DefaultGamma, DefaultDelta
	}
	if err := k.newNonce(); err != nil {
		return nil, err
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Key) newNonce() error {
	if _, err := io.ReadFull(rand.Reader, k.nonce[:]); err != nil {
		return fmt.Errorf("read random nonce: %w", err)
	}
	return nil
}

// Import makes a key file's key from an engine's existing integer: a
// fresh id (if empty) and nonce, and the floor (MinKeyBits) checked.
func Import(id, scheme, prf string, secret *big.Int, contextWidth int, gamma, delta float64) (*Key, error) {
	if secret == nil || secret.BitLen() <= MinKeyBits {
		return nil, fmt.Errorf("the key is below 2^%d: guessable, and another deployment may use it too, so text under it is no evidence; configure the engine with a fresh key (forensics keygen --scheme %s --engine-config-out FILE)", MinKeyBits, scheme)
	}
	if id == "" {
		var r [6]byte
		if _, err := io.ReadFull(rand.Reader, r[:]); err != nil {
			return nil, fmt.Errorf("read random id: %w", err)
		}
		id = "ek-" + hex.EncodeToString(r[:])
	}
	k, err := NewKeyFromInt(id, scheme, prf, secret, contextWidth, gamma, delta)
	if err != nil {
		return nil, err
	}
	k.Created = time.Now().UTC().Truncate(time.Second)
	if err := k.newNonce(); err != nil {
		return nil, err
	}
	return k, nil
}

// NewKeyFromInt builds a key from a known integer (an engine's existing
// key, a test vector). The integer is copied.
func NewKeyFromInt(id, scheme, prf string, secret *big.Int, contextWidth int, gamma, delta float64) (*Key, error) {
	if secret == nil {
		return nil, errors.New("no key integer")
	}
	k := &Key{ID: id, Scheme: scheme, PRF: prf, ContextWidth: contextWidth, Gamma: gamma, Delta: delta,
		Dedup: true, secret: new(big.Int).Set(secret)}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return k, nil
}

// String shows the key's id and parameters, never its secret.
func (k Key) String() string {
	s := fmt.Sprintf("%s key %s (%s, h=%d", k.Scheme, k.ID, k.PRF, k.ContextWidth)
	if k.Scheme == SchemeRedGreen {
		s += fmt.Sprintf(" γ=%v δ=%v", k.Gamma, k.Delta)
	}
	return s + ")"
}

// GoString keeps %#v from printing the secret.
func (k Key) GoString() string { return k.String() }

// Format keeps every verb from printing the secret.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// NewPRF returns the key's PRF as vLLM computes it (for samplers that
// embed the watermark, and for detection).
func (k *Key) NewPRF() vllm.PRF {
	if k.PRF == PRFPhilox {
		return vllm.PhiloxPRF{Key: k.secret.Uint64()}
	}
	var b [32]byte
	// vLLM gives hmac_sha256 the key integer's 32 little-endian bytes.
	be := k.secret.FillBytes(make([]byte, 32))
	for i := range b {
		b[i] = be[31-i]
	}
	return vllm.HMACPRF{Key: b}
}

// Commitment is the SHA-256 of the key's canonical material, hex-encoded:
// reports carry it instead of the key.
func (k *Key) Commitment() string {
	h := sha256.Sum256([]byte(k.canonical()))
	return hex.EncodeToString(h[:])
}

func (k *Key) canonical() string {
	var b strings.Builder
	b.WriteString("forensics-engine-key-commitment-v1\n")
	fmt.Fprintf(&b, "id=%s\nscheme=%s\nprf=%s\ncontext_width=%d\n", k.ID, k.Scheme, k.PRF, k.ContextWidth)
	fmt.Fprintf(&b, "gamma=%s\ndelta=%s\ndedup=%t\n", fmtFloat(k.Gamma), fmtFloat(k.Delta), k.Dedup)
	fmt.Fprintf(&b, "nonce=%s\nkey=%s\n", hex.EncodeToString(k.nonce[:]), k.secret.String())
	return b.String()
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// VLLMConfig is the JSON for vLLM's --watermark-config that embeds this
// key's watermark (config/watermarking.py: key, algorithm, context_width,
// prf; red_green.py: gamma, delta). It holds the secret: it is for the
// engine's own configuration, never for a report.
func (k *Key) VLLMConfig() string {
	prf := "philox"
	if k.PRF == PRFHMAC {
		prf = "hmac_sha256"
	}
	if k.Scheme == SchemeRedGreen {
		return fmt.Sprintf(`{"key": %s, "algorithm": "red_green", "context_width": %d, "prf": %q, "gamma": %s, "delta": %s}`,
			k.secret.String(), k.ContextWidth, prf, fmtFloat(k.Gamma), fmtFloat(k.Delta))
	}
	return fmt.Sprintf(`{"key": %s, "algorithm": "gumbel", "context_width": %d, "prf": %q}`, k.secret.String(), k.ContextWidth, prf)
}

// Marshal returns the key file's bytes (YAML, with the secret).
func (k *Key) Marshal() []byte {
	var b strings.Builder
	b.WriteString("# forensics key of an engine's watermark. Keep it secret: anyone holding\n")
	b.WriteString("# it can detect, forge or remove this watermark. Reports carry only its\n")
	b.WriteString("# commitment. `key` is the integer the engine's watermark config takes.\n")
	fmt.Fprintf(&b, "version: 1\nid: %s\ncreated: %s\nscheme: %s\nprf: %s\ncontext_width: %d\n",
		k.ID, k.Created.UTC().Format(time.RFC3339), k.Scheme, k.PRF, k.ContextWidth)
	if k.Scheme == SchemeRedGreen {
		fmt.Fprintf(&b, "gamma: %s\ndelta: %s\n", fmtFloat(k.Gamma), fmtFloat(k.Delta))
	}
	fmt.Fprintf(&b, "dedup: %t\n", k.Dedup)
	if k.Tokenizer != "" {
		fmt.Fprintf(&b, "tokenizer: %s\n", k.Tokenizer)
	}
	fmt.Fprintf(&b, "nonce: %s\nkey: %q\n", hex.EncodeToString(k.nonce[:]), k.secret.String())
	return []byte(b.String())
}

// WriteFile writes the key to path with mode 0600, refusing to replace an
// existing file unless overwrite is set (internal/keyfile).
func (k *Key) WriteFile(path string, overwrite bool) error {
	return keyfile.WriteKey(path, k.Marshal(), overwrite)
}

// maxKeyFile bounds what ParseKey reads.
const maxKeyFile = 64 << 10

// keyFile is the on-disk layout.
type keyFile struct {
	Version      int      `yaml:"version"`
	ID           string   `yaml:"id"`
	Created      string   `yaml:"created"`
	Scheme       string   `yaml:"scheme"`
	PRF          string   `yaml:"prf"`
	ContextWidth int      `yaml:"context_width"`
	Gamma        *float64 `yaml:"gamma"`
	Delta        *float64 `yaml:"delta"`
	Dedup        *bool    `yaml:"dedup"`
	Tokenizer    string   `yaml:"tokenizer"`
	Nonce        string   `yaml:"nonce"`
	Key          string   `yaml:"key"`
}

// LoadKey reads a key file, with the permission checks of
// internal/keyfile; its errors never contain the secret.
func LoadKey(path string) (*Key, error) {
	return keyfile.LoadKey(path, maxKeyFile, ParseKey)
}

// ParseKey parses a key file's bytes. Unknown fields, missing fields, a
// key integer out of the PRF's range and parameters out of range are
// errors; no error quotes a value from the file (the secret could be any
// of them).
func ParseKey(data []byte) (*Key, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file larger than %d bytes; is it a key?", maxKeyFile)
	}
	var kf keyFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&kf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("key file is empty")
		}
		return nil, errors.New("malformed key file (a syntax error, an unknown field or a value of the wrong type)")
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"version", kf.Version != 0}, {"id", kf.ID != ""}, {"scheme", kf.Scheme != ""}, {"prf", kf.PRF != ""},
		{"context_width", kf.ContextWidth != 0}, {"dedup", kf.Dedup != nil}, {"nonce", kf.Nonce != ""}, {"key", kf.Key != ""}} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("key file lacks %s (truncated?)", strings.Join(missing, ", "))
	}
	if kf.Version != 1 {
		return nil, errors.New("the key file's version is not supported (this build reads version 1)")
	}
	k := &Key{ID: kf.ID, Scheme: kf.Scheme, PRF: kf.PRF, ContextWidth: kf.ContextWidth, Dedup: *kf.Dedup, Tokenizer: kf.Tokenizer}
	if kf.Gamma != nil {
		k.Gamma = *kf.Gamma
	}
	if kf.Delta != nil {
		k.Delta = *kf.Delta
	}
	if k.Scheme == SchemeRedGreen && (kf.Gamma == nil || kf.Delta == nil) {
		return nil, errors.New("a red-green key needs gamma and delta")
	}
	secret, ok := parseDecimal(kf.Key)
	if !ok {
		return nil, errors.New("key must be a non-negative decimal integer (the engine's key)")
	}
	k.secret = secret
	nonce, err := hex.DecodeString(kf.Nonce)
	if err != nil || len(nonce) != len(k.nonce) {
		return nil, errors.New("nonce must be 32 hex digits")
	}
	copy(k.nonce[:], nonce)
	if secret.BitLen() <= MinKeyBits {
		return nil, fmt.Errorf("the key is below 2^%d: guessable, and another deployment may use it too, so text under it is no evidence", MinKeyBits)
	}
	if err := k.Validate(); err != nil {
		if idPattern.MatchString(k.ID) {
			return nil, fmt.Errorf("key %s: %w", k.ID, err)
		}
		return nil, err
	}
	if kf.Created != "" {
		c, err := time.Parse(time.RFC3339, kf.Created)
		if err != nil {
			return nil, fmt.Errorf("key %s: created is not an RFC 3339 time", k.ID)
		}
		k.Created = c
	}
	return k, nil
}

// parseDecimal reads a non-negative decimal integer of at most 78 digits
// (2^256 has 78), without signs, spaces or leading zeros' ambiguity.
func parseDecimal(s string) (*big.Int, bool) {
	if len(s) == 0 || len(s) > 78 || (len(s) > 1 && s[0] == '0') {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, false
		}
	}
	return new(big.Int).SetString(s, 10)
}

// nullKey is the j-th key of a key-swap null: the same scheme and
// parameters, an integer derived from a public seed so that anyone can
// re-derive it, and never used to watermark anything.
func (k *Key) nullKey(seed string, j int) *Key {
	bits, _ := keyBits(k.PRF)
	d := sha256.Sum256([]byte("forensics-engine-null-key-v1\n" + seed + "\n" + strconv.Itoa(j)))
	var secret *big.Int
	if bits == 64 {
		secret = new(big.Int).SetUint64(binary.BigEndian.Uint64(d[:8]))
	} else {
		secret = new(big.Int).SetBytes(d[:])
	}
	n := *k
	n.ID, n.secret = fmt.Sprintf("null-%03d", j), secret
	return &n
}
