package vllm

import (
	"errors"
	"fmt"
)

// The PRFs hold the watermark key: formatting one shows its name only,
// and encoding one as JSON is an error, so that no log line, error or
// result can carry the key by accident.

var errPRFJSON = errors.New("vllm: a PRF holds a watermark key and is never encoded")

// String names the PRF, never its key.
func (p PhiloxPRF) String() string { return p.Version() + " PRF" }

// GoString keeps %#v from printing the key.
func (p PhiloxPRF) GoString() string { return p.String() }

// Format keeps every verb from printing the key.
func (p PhiloxPRF) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }

// MarshalJSON refuses: the PRF holds the key.
func (PhiloxPRF) MarshalJSON() ([]byte, error) { return nil, errPRFJSON }

// String names the PRF, never its key.
func (p HMACPRF) String() string { return p.Version() + " PRF" }

// GoString keeps %#v from printing the key.
func (p HMACPRF) GoString() string { return p.String() }

// Format keeps every verb from printing the key.
func (p HMACPRF) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }

// MarshalJSON refuses: the PRF holds the key.
func (HMACPRF) MarshalJSON() ([]byte, error) { return nil, errPRFJSON }
