package logscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"forensics/internal/jsonl"
)

// AccountInfo is what the business knows about an account, joined to the
// log by account name: the optional second input of a scan (--accounts,
// one JSON object a line). None of it comes from the client's requests,
// so none of it can be set by a harvester through the API; it can be
// bought (a paid tier) or faked at sign-up (a company name), which is why
// a contract or an allow-list lowers the action a scan suggests, never
// the evidence it reports.
type AccountInfo struct {
	Account string `json:"account"`
	// Tier is the plan ("free", "pro", "enterprise", ...), reported as is.
	Tier string `json:"tier,omitempty"`
	// Contract is a signed agreement with a named organisation.
	Contract bool `json:"contract,omitempty"`
	// KYC: the organisation's identity was verified.
	KYC bool `json:"kyc,omitempty"`
	// Allowlist: the account is known to run systematic traffic (an
	// evaluation lab, a partner's pipeline) and was cleared by a person.
	Allowlist bool `json:"allowlist,omitempty"`
	// Created is when the account signed up.
	Created time.Time `json:"created,omitzero"`
	// OrgID and PaymentID group accounts of one payer: accounts that share
	// either are linked as one operator (a strong link: it needs no second
	// kind of evidence).
	OrgID     string `json:"org_id,omitempty"`
	PaymentID string `json:"payment_id,omitempty"`
	// KeysCreated are the times the account's API keys were created.
	KeysCreated []time.Time `json:"keys_created,omitempty"`
}

// Accounts is an accounts file, by account name.
type Accounts map[string]*AccountInfo

// Bounds on an accounts file (it is outside input too: an export from
// another system).
const (
	maxAccountLine = 64 << 10
	maxKeysPerAcct = 1024
)

// LoadAccounts reads an accounts file (plain or gzip). Unlike a log, a
// malformed line is an error: the file is the business's own record, and
// a silently skipped line would leave an account without its contract.
func LoadAccounts(ctx context.Context, path string) (Accounts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("accounts file: %w", err)
	}
	defer f.Close()
	in, closer, err := jsonl.Uncompressed(f)
	if err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	defer closer.Close()
	accts, err := ReadAccounts(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	return accts, nil
}

// ReadAccounts reads accounts-file lines from r.
func ReadAccounts(ctx context.Context, r io.Reader) (Accounts, error) {
	out := Accounts{}
	lr := jsonl.NewReader(r, maxAccountLine)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		a, err := ParseAccountLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lr.Line(), err)
		}
		if _, dup := out[a.Account]; dup {
			return nil, fmt.Errorf("line %d: account %q appears twice", lr.Line(), a.Account)
		}
		out[a.Account] = a
	}
}

// ParseAccountLine reads one accounts-file line. Unknown fields are
// errors (a misspelt "contract" must not read as no contract).
func ParseAccountLine(line []byte) (*AccountInfo, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var a AccountInfo
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not an accounts-file object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	if a.Account == "" {
		return nil, errors.New(`no "account"`)
	}
	if len(a.KeysCreated) > maxKeysPerAcct {
		return nil, fmt.Errorf("account %q: %d keys_created (at most %d)", a.Account, len(a.KeysCreated), maxKeysPerAcct)
	}
	return &a, nil
}

// minTenure is how long before its first request an account with a
// contract must have signed up to be vouched for: a shell company can
// pass KYC and sign a contract the day before it harvests.
const minTenure = 30 * 24 * time.Hour

// Trusted reports whether the business vouches for the account as of its
// first request: allow-listed by a person, or a contract with a verified
// organisation of at least minTenure.
func (a *AccountInfo) Trusted(firstRequest time.Time) bool {
	if a == nil {
		return false
	}
	if a.Allowlist {
		return true
	}
	return a.Contract && a.KYC && !a.Created.IsZero() && firstRequest.Sub(a.Created) >= minTenure
}
