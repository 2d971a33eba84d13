package caseledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"forensics/internal/jsonl"
)

// Format names the ledger's line format; every event carries it.
const Format = "forensics-case-ledger/1"

// Event kinds.
const (
	KindOpened   = "opened"
	KindExtended = "extended"
	KindClosed   = "closed"
)

// Trigger sources.
const (
	SourceAdminRisk = "admin-risk" // a scan-logs result posted to /admin/risk
	SourceScan      = "scan"       // the gateway's built-in scan (risk.scan_every)
	SourceOperator  = "operator"   // POST /admin/cases (forensics case open)
)

// Trigger is what made the gateway open or extend a case.
type Trigger struct {
	Source string `json:"source"`           // "admin-risk" | "scan" | "operator"
	SHA256 string `json:"sha256,omitempty"` // hex SHA-256 of the scan result / request body that triggered it
	Note   string `json:"note,omitempty"`
}

// Event is one line of the ledger.
type Event struct {
	Format string `json:"format"` // Format
	// Ledger is the ledger's id, the same on every event: random when the
	// ledger is created, and part of every case key's derivation
	// (watermark.Key.DeriveCase), so that two ledgers under one master key
	// (two gateways, or a ledger lost and started again) never issue one
	// key to different accounts.
	Ledger string    `json:"ledger"`
	Seq    int       `json:"seq"`  // 1, 2, ...
	Time   time.Time `json:"time"` // UTC: when the gateway decided
	// Effective (UTC) is when the decision takes effect: from then on the
	// accounts are served under the case key (opened, extended), or no
	// longer (closed). Never before Time nor before the previous event's
	// Effective. The gateway puts it at a repeat-window boundary after
	// Time (serve: watermarking.repeat_window), so that the switch shows
	// nothing a client could not see at every boundary anyway.
	Effective time.Time `json:"effective"`
	Kind      string    `json:"event"` // "opened" | "extended" | "closed"
	Case      string    `json:"case"`
	// Nonce is the case's random nonce, drawn when it opens (NewNonce)
	// and part of its key's derivation (watermark.Key.DeriveCase): two
	// copies of one ledger (a backup restored, two processes on one file)
	// that both open case-0002 still issue two keys. Repeated by
	// extensions and closings, like the keys.
	Nonce            string   `json:"nonce"`
	MasterKey        string   `json:"master_key"` // id of the master key the case key derives from
	MasterCommitment string   `json:"master_commitment"`
	KeyID            string   `json:"key_id"`
	KeyCommitment    string   `json:"key_commitment"`              // watermark.Key.Commitment() of the case key
	CanaryCommitment string   `json:"canary_commitment,omitempty"` // SHA256 field of the case's secret canary set
	Accounts         []string `json:"accounts,omitempty"`          // accounts added (opened/extended)
	Trigger          Trigger  `json:"trigger"`
	Tool             string   `json:"tool,omitempty"` // e.g. "forensics serve <version>"
	Prev             string   `json:"prev"`           // Hash of the previous event, "" for seq 1
	Hash             string   `json:"hash"`           // hex SHA-256 of the event's canonical JSON with Hash and Sig empty
	Sig              string   `json:"sig,omitempty"`  // base64 ed25519 signature over the Hash bytes' hex string
}

// marshal is the event's canonical line (without the newline): encoding/json
// of the struct, fields in declaration order, HTML characters unescaped.
func (e Event) marshal() ([]byte, error) {
	return jsonl.MarshalLine(e)
}

// ComputeHash is the hex SHA-256 of the event's canonical JSON with Hash
// and Sig empty: what Hash must be and what Sig signs.
func (e Event) ComputeHash() (string, error) {
	e.Hash, e.Sig = "", ""
	b, err := e.marshal()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// sign sets Sig: ed25519 over the ASCII hex of Hash (the same text a
// reader sees in the line, so it can be checked by hand with any tool).
func (e *Event) sign(key ed25519.PrivateKey) {
	e.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(e.Hash)))
}

// verifySig checks Sig against pub.
func (e Event) verifySig(pub ed25519.PublicKey) error {
	if e.Sig == "" {
		return errors.New("unsigned")
	}
	sig, err := base64.StdEncoding.DecodeString(e.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("signature is not base64 of 64 bytes")
	}
	if !ed25519.Verify(pub, []byte(e.Hash), sig) {
		return errors.New("signature does not verify with the given public key")
	}
	return nil
}

// checkChain checks an event's own fields against the event before it
// (prev nil for the first): format, sequence number, the previous hash,
// its own hash, time order and effective-time order.
// ledgerIDPattern: NewID's 16 hex digits, or up to 32.
var ledgerIDPattern = regexp.MustCompile(`^[0-9a-f]{16,32}$`)

// NewNonce is a fresh case nonce: 64 random bits in hex.
func NewNonce() (string, error) { return NewID() }

// NewID is a fresh ledger id: 64 random bits in hex.
func NewID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("case ledger id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (e Event) checkChain(prev *Event) error {
	if e.Format != Format {
		return fmt.Errorf("format %q, want %q", e.Format, Format)
	}
	if !ledgerIDPattern.MatchString(e.Ledger) || prev != nil && e.Ledger != prev.Ledger {
		return fmt.Errorf("ledger id %q is not 16 to 32 hex digits or differs from the line before", e.Ledger)
	}
	wantSeq, wantPrev := 1, ""
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	if e.Seq != wantSeq {
		return fmt.Errorf("seq %d, want %d (a line was dropped, inserted or moved)", e.Seq, wantSeq)
	}
	if e.Prev != wantPrev {
		return fmt.Errorf("prev %.16s… is not the hash of the line before (%.16s…)", e.Prev, wantPrev)
	}
	// The hash first: an edited line is reported as edited, whatever
	// other check the edit also breaks.
	h, err := e.ComputeHash()
	if err != nil {
		return err
	}
	if e.Hash != h {
		return fmt.Errorf("hash %.16s… does not match the event's content (%.16s…): the line was edited", e.Hash, h)
	}
	if e.Time.IsZero() || e.Time.Location() != time.UTC {
		return errors.New("time is not a UTC time")
	}
	if prev != nil && e.Time.Before(prev.Time) {
		return fmt.Errorf("time %s is before the previous event's %s", e.Time.Format(time.RFC3339Nano), prev.Time.Format(time.RFC3339Nano))
	}
	return e.checkEffective(prev)
}

// checkEffective checks that the effective time is a UTC time, not before
// the decision and not before the previous event's effective time: replayed
// in order, the events then give each account's key at any time.
func (e Event) checkEffective(prev *Event) error {
	if e.Effective.IsZero() || e.Effective.Location() != time.UTC {
		return errors.New("effective is not a UTC time")
	}
	if e.Effective.Before(e.Time) {
		return fmt.Errorf("effective %s is before the decision's time %s", e.Effective.Format(time.RFC3339Nano), e.Time.Format(time.RFC3339Nano))
	}
	if prev != nil && e.Effective.Before(prev.Effective) {
		return fmt.Errorf("effective %s is before the previous event's effective %s", e.Effective.Format(time.RFC3339Nano), prev.Effective.Format(time.RFC3339Nano))
	}
	return nil
}
