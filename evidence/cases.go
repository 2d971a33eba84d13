package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"time"

	"forensics/caseledger"
	"forensics/probe"
)

// LoadCases reads a case ledger for a probe: the hash chain checked, and
// every signature when pub is set (a ledger whose signatures were not
// checked says so in the manifest: anyone could have written it). ids
// names the cases to test (nil: every case of the ledger). The ledger's
// bytes go into the bundle as they were read.
func LoadCases(path string, pub ed25519.PublicKey, ids []string) (*probe.CaseSetup, error) {
	data, err := readLimited(path, probe.MaxLedgerSize)
	if err != nil {
		return nil, err
	}
	events, cases, err := parseLedger(data, pub)
	if err != nil {
		return nil, fmt.Errorf("case ledger %s: %w", path, err)
	}
	// The cases to test, in ledger order and each once, whatever order
	// --cases named them in: the analysis requires the ledger's order, and
	// finding that out after the queries would waste them.
	picked, err := pickCases(events, cases, ids)
	if err != nil {
		return nil, fmt.Errorf("case ledger %s: %w", path, err)
	}
	ids = ids[:0:0]
	for _, c := range picked {
		ids = append(ids, c.ID)
	}
	d := sha256.Sum256(data)
	if len(events) == 0 {
		return nil, fmt.Errorf("case ledger %s holds no case", path)
	}
	plan := probe.CasePlan{File: probe.FileLedger, SHA256: hex.EncodeToString(d[:]), Head: caseledger.Head(events), Ledger: events[0].Ledger, Cases: ids, Correction: probe.CaseCorrection}
	if pub != nil {
		plan.PublicKey = hex.EncodeToString(pub)
	}
	return &probe.CaseSetup{Ledger: data, Plan: plan}, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > limit {
		return nil, fmt.Errorf("%s is not a regular file of at most %d bytes", path, limit)
	}
	return os.ReadFile(path)
}

func parseLedger(data []byte, pub ed25519.PublicKey) ([]caseledger.Event, []caseledger.Case, error) {
	events, err := caseledger.Parse(bytes.NewReader(data), pub)
	if err != nil {
		return nil, nil, err
	}
	cases, err := caseledger.Replay(events)
	return events, cases, err
}

// pickCases returns the named cases of the ledger in ledger order.
// ids nil picks every case.
func pickCases(events []caseledger.Event, cases []caseledger.Case, ids []string) ([]probe.Case, error) {
	opening := map[string]string{}
	for _, e := range events {
		if e.Kind == caseledger.KindOpened {
			opening[e.Case] = e.Hash
		}
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	if ids == nil {
		for _, c := range cases {
			want[c.ID] = true
		}
	}
	var out []probe.Case
	for _, c := range cases {
		if want[c.ID] {
			pc := probeCase(c)
			pc.OpeningEvent = opening[c.ID]
			out = append(out, pc)
			delete(want, c.ID)
		}
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for id := range want {
			missing = append(missing, id)
		}
		slices.Sort(missing)
		return nil, fmt.Errorf("no case %v in the ledger", missing)
	}
	return out, nil
}

func probeCase(c caseledger.Case) probe.Case {
	pc := probe.Case{ID: c.ID, KeyID: c.KeyID, KeyCommitment: c.KeyCommitment, CanaryCommitment: c.CanaryCommitment, Nonce: c.Nonce,
		Opened: c.Opened.UTC().Format(time.RFC3339Nano)}
	if !c.Closed.IsZero() {
		pc.Closed = c.Closed.UTC().Format(time.RFC3339Nano)
	}
	for _, m := range c.Members {
		pc.Accounts = append(pc.Accounts, probe.CaseAccount{Account: m.Account, Added: m.Added.UTC().Format(time.RFC3339Nano)})
	}
	return pc
}

// bundleCases reads the bundle's ledger copy for the manifest's case
// plan: its hash and head must be the manifest's, its signatures (when
// the manifest names the key they were checked with) must verify, and
// the cases named must be in it. Nil when the manifest plans no cases.
func bundleCases(dir string, m *probe.Manifest) ([]probe.Case, error) {
	plan := m.Cases
	if plan == nil {
		return nil, nil
	}
	data, err := ReadBundleFile(dir, plan.File)
	if err != nil {
		return nil, err
	}
	if d := sha256.Sum256(data); hex.EncodeToString(d[:]) != plan.SHA256 {
		return nil, fmt.Errorf("%s has sha256 %x, the manifest committed to %s", plan.File, d, plan.SHA256)
	}
	var pub ed25519.PublicKey
	if plan.PublicKey != "" {
		b, err := hex.DecodeString(plan.PublicKey)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("manifest: case ledger public key is not a hex ed25519 key")
		}
		pub = b
	}
	events, cases, err := parseLedger(data, pub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", plan.File, err)
	}
	if h := caseledger.Head(events); h != plan.Head {
		return nil, fmt.Errorf("%s ends at event %s, the manifest committed to %s", plan.File, h, plan.Head)
	}
	if events[0].Ledger != plan.Ledger {
		return nil, fmt.Errorf("%s is ledger %s, the manifest names %s", plan.File, events[0].Ledger, plan.Ledger)
	}
	return pickCases(events, cases, plan.Cases)
}

// mustHex decodes hex that Validate or bundleCases has already checked
// (nil on error).
func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
