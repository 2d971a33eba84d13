// Package schemes is the registry of the watermark schemes forensics
// reads: this project's own kgw-siphash24-v1 (the default, embedded by
// the gateway) and the schemes serving engines embed themselves
// (vllm-red-green, vllm-gumbel; package watermark/engine). It names each
// scheme's units, statistic and null, and loads any scheme's key file
// behind one interface, so a command can take whichever key it is given.
package schemes

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"forensics/internal/keyfile"
	"forensics/watermark"
	"forensics/watermark/engine"
)

// Info describes a registered scheme.
type Info struct {
	Name string `json:"name"`
	// Default marks the scheme keygen makes unless told otherwise.
	Default bool `json:"default"`
	// Source is where the definition comes from.
	Source string `json:"source"`
	// Units are what the scheme scores: pieces (strings, through any
	// tokenizer that splits as the model did) or token ids.
	Units string `json:"units"`
	// PRFs are the pseudo-random functions the scheme is defined with.
	PRFs []string `json:"prfs"`
	// Statistic and Null name the test.
	Statistic string `json:"statistic"`
	Null      string `json:"null"`
	// Embeds says who embeds it.
	Embeds string `json:"embeds"`
	// Params are the key file's parameters and their defaults.
	Params string `json:"params"`
}

var registry = []Info{
	{
		Name: watermark.SchemeName, Default: true, Source: "this project (watermark/doc.go, docs/watermark.md)",
		Units: "pieces", PRFs: []string{"siphash-2-4 (HKDF-SHA-256 subkeys)"},
		Statistic: "green (context, piece) tuples, each distinct tuple once",
		Null:      "Binomial(scored, γ), exact tail in log space",
		Embeds:    "forensics serve (every backend), forensics generate",
		Params:    "gamma 0.25, delta 2, context_width 2",
	},
	{
		Name: engine.SchemeRedGreen, Source: "vLLM vllm/v1/watermarking/red_green.py (commit 381f9454), Kirchenbauer et al. 2023",
		Units: "token ids", PRFs: []string{engine.PRFPhilox, engine.PRFHMAC},
		Statistic: "green tokens (u < γ), each context once (vLLM's detector)",
		Null:      "Binomial(scored, exact green share of the 24-bit grid), exact tail in log space",
		Embeds:    "vLLM --watermark-config algorithm red_green (watermark/vllm has its sampler, for measurements)",
		Params:    "gamma 0.25, delta 2, context_width 4, dedup true",
	},
	{
		Name: engine.SchemeGumbel, Source: "vLLM vllm/v1/watermarking/gumbel.py (commit 01c268bc), Aaronson's Gumbel-max",
		Units: "token ids", PRFs: []string{engine.PRFPhilox, engine.PRFHMAC},
		Statistic: "Σ −log(1 − u) over the scored tokens, each context once",
		Null:      "Gamma(scored, 1) at the score less scored·2^-24, a valid bound of the 24-bit grid's tail, in log space",
		Embeds:    "vLLM --watermark-config algorithm gumbel, the engine's default (watermark/vllm has its sampler, for measurements)",
		Params:    "context_width 4, dedup true",
	},
}

// Registered lists the schemes, the default first.
func Registered() []Info { return slices.Clone(registry) }

// Lookup finds a scheme by name.
func Lookup(name string) (Info, error) {
	for _, s := range registry {
		if s.Name == name {
			return s, nil
		}
	}
	return Info{}, fmt.Errorf("unknown watermark scheme %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names are the registered schemes' names.
func Names() []string {
	var out []string
	for _, s := range registry {
		out = append(out, s.Name)
	}
	return out
}

// Key is any registered scheme's key.
type Key interface {
	KeyID() string
	SchemeName() string
	Commitment() string
}

// Own wraps this project's key.
type Own struct{ *watermark.Key }

// KeyID implements Key.
func (k Own) KeyID() string { return k.ID }

// SchemeName implements Key.
func (Own) SchemeName() string { return watermark.SchemeName }

// Engine wraps an engine scheme's key.
type Engine struct{ *engine.Key }

// KeyID implements Key.
func (k Engine) KeyID() string { return k.ID }

// SchemeName implements Key.
func (k Engine) SchemeName() string { return k.Scheme }

// maxKeyFile bounds a key file (both kinds are a few hundred bytes).
const maxKeyFile = 64 << 10

// LoadKey reads a key file of any registered scheme, with the permission
// checks of internal/keyfile; its errors never quote the file.
func LoadKey(path string) (Key, error) {
	return keyfile.LoadKey(path, maxKeyFile, ParseKey)
}

// ParseKey parses a key file of any registered scheme: its scheme field
// picks the parser.
func ParseKey(data []byte) (Key, error) {
	name, err := SchemeOf(data)
	if err != nil {
		return nil, err
	}
	switch name {
	case watermark.SchemeName:
		k, err := watermark.ParseKey(data)
		if err != nil {
			return nil, err
		}
		return Own{k}, nil
	case engine.SchemeRedGreen, engine.SchemeGumbel:
		k, err := engine.ParseKey(data)
		if err != nil {
			return nil, err
		}
		return Engine{k}, nil
	}
	return nil, fmt.Errorf("key scheme is not one this build reads (%s)", strings.Join(Names(), ", "))
}

// SchemeOf reads a key file's scheme field only. The name is checked
// against the registry before it is returned, so an error never echoes
// the file.
func SchemeOf(data []byte) (string, error) {
	if len(data) > maxKeyFile {
		return "", fmt.Errorf("key file larger than %d bytes; is it a key?", maxKeyFile)
	}
	var head struct {
		Scheme string `yaml:"scheme"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return "", errors.New("malformed key file (not YAML)")
	}
	if head.Scheme == "" {
		return "", errors.New("key file lacks scheme (truncated?)")
	}
	if _, err := Lookup(head.Scheme); err != nil {
		return "", fmt.Errorf("key scheme is not one this build reads (%s)", strings.Join(Names(), ", "))
	}
	return head.Scheme, nil
}
