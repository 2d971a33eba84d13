package watermark

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"forensics/internal/keyfile"
)

// SchemeName identifies this specification in key files and results.
const SchemeName = "kgw-siphash24-v1"

// MaxContextWidth is the largest supported context width h.
const MaxContextWidth = 8

// MaxPayloadBits is the largest multi-bit payload a key can carry.
const MaxPayloadBits = 64

// Params are a key's public scheme parameters.
type Params struct {
	// Gamma is the green share of the vocabulary in every context, in (0,1).
	Gamma float64 `yaml:"gamma" json:"gamma"`
	// Delta is the logit bias added to green pieces when embedding (> 0).
	Delta float64 `yaml:"delta" json:"delta"`
	// ContextWidth is h, the number of preceding pieces the green list
	// depends on (0 = one fixed green list, the unigram scheme).
	ContextWidth int `yaml:"context_width" json:"context_width"`
	// PayloadBits is the size of the multi-bit payload (0 = zero-bit
	// watermark). Reserved for position-allocation payloads.
	PayloadBits int `yaml:"payload_bits" json:"payload_bits"`
}

// DefaultParams are the parameters keygen uses unless told otherwise.
// γ=0.25 and δ=2 follow Kirchenbauer et al. (2023), "A Watermark for Large
// Language Models", §6. h=2 is this project's distillation measurement
// (docs/experiments/distill.md): students trained on a 25% watermarked
// mix showed the watermark after 12 probe answers at h=2, against 52 at
// h=1, 123 at h=4 and never at h=0.
func DefaultParams() Params {
	return Params{Gamma: 0.25, Delta: 2, ContextWidth: 2}
}

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	switch {
	case math.IsNaN(p.Gamma) || p.Gamma <= 0 || p.Gamma >= 1:
		return fmt.Errorf("gamma %v is outside (0,1)", p.Gamma)
	case math.IsNaN(p.Delta) || p.Delta <= 0 || p.Delta > 50:
		return fmt.Errorf("delta %v is outside (0,50]", p.Delta)
	case p.ContextWidth < 0 || p.ContextWidth > MaxContextWidth:
		return fmt.Errorf("context width %d is outside 0..%d", p.ContextWidth, MaxContextWidth)
	case p.PayloadBits < 0 || p.PayloadBits > MaxPayloadBits:
		return fmt.Errorf("payload bits %d is outside 0..%d", p.PayloadBits, MaxPayloadBits)
	}
	return nil
}

// Key is a watermark key: public parameters and a 32-byte secret. The secret
// is unexported and never formatted: printing a Key shows its id only.
type Key struct {
	ID      string
	Created time.Time
	Params
	// Tokenizer optionally names the tokenizer (its id) of the model the
	// key watermarks; detection and probes refuse any other. It is a guard
	// against mistakes, not part of the commitment.
	Tokenizer string
	// Case, Ledger and Master are set on a case key (DeriveCase): the case
	// id, the id of its ledger and the id of the master key it was
	// derived from.
	Case, Ledger, Master string
	secret               [32]byte
}

// CheckTokenizer fails when the key names a tokenizer other than id.
func (k *Key) CheckTokenizer(id string) error {
	if k.Tokenizer != "" && k.Tokenizer != id {
		return fmt.Errorf("key %s was made for tokenizer %s, but the tokenizer given is %s: scoring with another tokenizer finds no watermark", k.ID, k.Tokenizer, id)
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// NewKey makes a key with a fresh secret from crypto/rand. An empty id gets
// a random one ("wk-" and 12 hex digits).
func NewKey(id string, p Params) (*Key, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	k := &Key{Created: time.Now().UTC().Truncate(time.Second), Params: p}
	if _, err := io.ReadFull(rand.Reader, k.secret[:]); err != nil {
		return nil, fmt.Errorf("read random secret: %w", err)
	}
	if id == "" {
		var b [6]byte
		if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
			return nil, fmt.Errorf("read random id: %w", err)
		}
		id = "wk-" + hex.EncodeToString(b[:])
	}
	if !idPattern.MatchString(id) {
		return nil, fmt.Errorf("key id %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	k.ID = id
	return k, nil
}

// NewKeyFromSecret builds a key from known material. It exists for test
// vectors and for re-deriving published examples; real keys come from NewKey.
func NewKeyFromSecret(id string, p Params, secret [32]byte, created time.Time) (*Key, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(id) {
		return nil, fmt.Errorf("key id %q is not valid", id)
	}
	return &Key{ID: id, Created: created, Params: p, secret: secret}, nil
}

// String shows the key's id and parameters, never its secret. (Value
// receivers, so formatting a Key value is as safe as a pointer.)
func (k Key) String() string {
	return fmt.Sprintf("key %s (γ=%v δ=%v h=%d payload=%d bits)", k.ID, k.Gamma, k.Delta, k.ContextWidth, k.PayloadBits)
}

// GoString keeps %#v from printing the secret too.
func (k Key) GoString() string { return k.String() }

// Format keeps every verb (%v, %+v, %x, …) from printing the secret.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// Commitment is the SHA-256 of the key's canonical material (see SPEC.md,
// "Key commitment"), hex-encoded. Reports carry it instead of the key; whoever
// holds the key can show that it matches.
func (k *Key) Commitment() string {
	h := sha256.New()
	io.WriteString(h, k.canonical())
	return hex.EncodeToString(h.Sum(nil))
}

func (k *Key) canonical() string {
	var b strings.Builder
	b.WriteString("forensics-key-commitment-v1\n")
	fmt.Fprintf(&b, "id=%s\nscheme=%s\n", k.ID, SchemeName)
	fmt.Fprintf(&b, "gamma=%s\ndelta=%s\n", fmtFloat(k.Gamma), fmtFloat(k.Delta))
	fmt.Fprintf(&b, "context_width=%d\npayload_bits=%d\n", k.ContextWidth, k.PayloadBits)
	fmt.Fprintf(&b, "secret=%s\n", hex.EncodeToString(k.secret[:]))
	return b.String()
}

// fmtFloat is the shortest decimal that round-trips (strconv 'g', -1).
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// keyFile is the on-disk layout.
type keyFile struct {
	Version      int     `yaml:"version"`
	ID           string  `yaml:"id"`
	Created      string  `yaml:"created"`
	Scheme       string  `yaml:"scheme"`
	Gamma        float64 `yaml:"gamma"`
	Delta        float64 `yaml:"delta"`
	ContextWidth int     `yaml:"context_width"`
	PayloadBits  int     `yaml:"payload_bits"`
	Tokenizer    string  `yaml:"tokenizer"`
	Secret       string  `yaml:"secret"`
}

// Marshal returns the key file's bytes (YAML, with the secret).
func (k *Key) Marshal() []byte {
	var b strings.Builder
	b.WriteString("# forensics watermark key. Keep it secret: anyone holding it can detect,\n")
	b.WriteString("# forge or remove this watermark. Reports carry only its commitment.\n")
	fmt.Fprintf(&b, "version: 1\nid: %s\ncreated: %s\nscheme: %s\n", k.ID, k.Created.UTC().Format(time.RFC3339), SchemeName)
	fmt.Fprintf(&b, "gamma: %s\ndelta: %s\ncontext_width: %d\npayload_bits: %d\n", fmtFloat(k.Gamma), fmtFloat(k.Delta), k.ContextWidth, k.PayloadBits)
	if k.Tokenizer != "" {
		fmt.Fprintf(&b, "tokenizer: %s\n", k.Tokenizer)
	}
	fmt.Fprintf(&b, "secret: %s\n", hex.EncodeToString(k.secret[:]))
	return []byte(b.String())
}

// WriteFile writes the key to path with mode 0600. It refuses to replace an
// existing file unless overwrite is set, so a key is never lost by accident,
// and it never writes through a symbolic link: a replaced key is written
// beside the old one and renamed over it (see internal/keyfile).
func (k *Key) WriteFile(path string, overwrite bool) error {
	return keyfile.WriteKey(path, k.Marshal(), overwrite)
}

// maxKeyFile bounds what LoadKey reads: a key file is a few hundred bytes.
const maxKeyFile = 64 << 10

// LoadKey reads a key file. It fails if the file is not a regular file, is
// readable or writable by group or others, or belongs to another user (on
// systems with Unix permissions), and its errors never contain the secret.
func LoadKey(path string) (*Key, error) {
	return keyfile.LoadKey(path, maxKeyFile, ParseKey)
}

// yamlLine finds the line numbers in a yaml error.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlError restates a yaml error without any text from the input: yaml
// errors quote values and field names, and the secret could be any of them.
func yamlError(err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var parts []string
	for _, msg := range msgs {
		what := "syntax error"
		switch {
		case strings.Contains(msg, "not found in type"):
			what = "unknown field"
		case strings.Contains(msg, "cannot unmarshal"):
			what = "value of the wrong type"
		case strings.Contains(msg, "already set"), strings.Contains(msg, "already defined"):
			what = "field given twice"
		}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			what += " at line " + m[1]
		}
		parts = append(parts, what)
	}
	return fmt.Errorf("malformed key file: %s", strings.Join(parts, "; "))
}

// ParseKey parses a key file's bytes. Unknown fields, a missing field, a
// secret that is not 64 hex digits and parameters out of range are errors.
func ParseKey(data []byte) (*Key, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file larger than %d bytes; is it a key?", maxKeyFile)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, errors.New("key file is empty")
	}
	var kf keyFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&kf); err != nil {
		return nil, yamlError(err)
	}
	var missing []string
	if kf.Version == 0 {
		missing = append(missing, "version")
	}
	if kf.ID == "" {
		missing = append(missing, "id")
	}
	if kf.Scheme == "" {
		missing = append(missing, "scheme")
	}
	if kf.Secret == "" {
		missing = append(missing, "secret")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("key file lacks %s (truncated?)", strings.Join(missing, ", "))
	}
	if kf.Version != 1 {
		return nil, fmt.Errorf("key file version %d is not supported (this build reads version 1)", kf.Version)
	}
	if kf.Scheme != SchemeName {
		return nil, fmt.Errorf("key scheme is not supported (this build implements %s)", SchemeName)
	}
	// Field values are not echoed: a file with its lines shuffled could put
	// the secret anywhere.
	if !idPattern.MatchString(kf.ID) {
		return nil, errors.New("key id is not valid (1-64 letters, digits, '.', '_' or '-')")
	}
	p := Params{Gamma: kf.Gamma, Delta: kf.Delta, ContextWidth: kf.ContextWidth, PayloadBits: kf.PayloadBits}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("key %s: %w", kf.ID, err)
	}
	var secret [32]byte
	raw, err := hex.DecodeString(kf.Secret)
	if err != nil || len(raw) != len(secret) {
		return nil, fmt.Errorf("key %s: secret must be 64 hex digits (32 bytes)", kf.ID)
	}
	copy(secret[:], raw)
	var created time.Time
	if kf.Created != "" {
		created, err = time.Parse(time.RFC3339, kf.Created)
		if err != nil {
			return nil, fmt.Errorf("key %s: created is not an RFC 3339 time", kf.ID)
		}
	}
	if kf.Tokenizer != "" && !tokenizerIDPattern.MatchString(kf.Tokenizer) {
		return nil, fmt.Errorf("key %s: tokenizer must be a tokenizer id (sha256:… or a built-in name)", kf.ID)
	}
	return &Key{ID: kf.ID, Created: created, Params: p, Tokenizer: kf.Tokenizer, secret: secret}, nil
}

var tokenizerIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$`)
