package probe

import (
	"fmt"

	"forensics/canary"
	"forensics/watermark"
)

// The probe's canary sets are package canary's (the gateway plants their
// answers too).
type (
	CanarySet = canary.Set
	Prompt    = canary.Prompt
	Trigger   = canary.Trigger
)

// DefaultCanaries is the name of the shipped PUBLIC DEMO set; SecretCanaries
// the set derived from the watermark key.
const (
	DefaultCanaries = canary.Default
	SecretCanaries  = canary.Secret
)

// LoadCanaries reads a canary set: "secret" (derived from key, which must
// then be given), "default" (the public demo set) or a file path.
func LoadCanaries(spec string, key *watermark.Key) (*CanarySet, error) {
	if spec == SecretCanaries {
		if key == nil {
			return nil, fmt.Errorf("the secret canary set is derived from the watermark key: give the key")
		}
		return canary.NewSecret(key.CanarySeed(), key.ID)
	}
	return canary.Load(spec)
}

// ParseCanaries parses and checks a canary set.
func ParseCanaries(data []byte) (*CanarySet, error) { return canary.Parse(data) }
