package probe

import "forensics/canary"

// The probe's canary sets are package canary's (the gateway plants their
// answers too).
type (
	CanarySet = canary.Set
	Prompt    = canary.Prompt
	Trigger   = canary.Trigger
)

// DefaultCanaries is the name of the shipped set.
const DefaultCanaries = canary.Default

// LoadCanaries reads a canary set: "default" or a file path.
func LoadCanaries(spec string) (*CanarySet, error) { return canary.Load(spec) }

// ParseCanaries parses and checks a canary set.
func ParseCanaries(data []byte) (*CanarySet, error) { return canary.Parse(data) }
