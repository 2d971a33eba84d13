package watermark

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"regexp"
)

// Case keys. When the gateway flags an account or a cluster it opens a
// case: from then on those accounts are served under a key derived from
// the master key and the case id, so that a suspect model showing that
// key's watermark can only have learnt from text served to them after the
// case opened. Derivation, not storage: whoever holds the master key and
// the case ledger re-derives every case key, and a case key reveals
// nothing about the master key or about other cases (HKDF-SHA256 with the
// master secret as input key material).

// caseSalt is the HKDF salt of case keys (info is "case:<ledger id>:<case
// id>:<nonce>").
const caseSalt = "forensics/case-key/v1"

var caseIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// CheckCaseID reports whether id is a valid case id: 1-32 letters, digits,
// '_' or '-', starting with a letter or digit (no '.', which joins it to
// the master key's id in the case key's id).
func CheckCaseID(id string) error {
	if !caseIDPattern.MatchString(id) {
		return fmt.Errorf("case id %q: use 1-32 letters, digits, '_' or '-', starting with a letter or digit", id)
	}
	return nil
}

// DeriveCase returns the key of case caseID of the ledger ledgerID under
// master key k, with the case's nonce (random, drawn when the case opens
// and recorded in its opening event): the same parameters and tokenizer,
// the id "<master id>.<case id>", and the secret HKDF-SHA256(ikm = k's
// secret, salt = "forensics/case-key/v1", info = "case:" + ledgerID + ":"
// + caseID + ":" + nonce, 32 bytes). The same inputs always give the same
// key. The ledger id and the nonce keep one key from ever being issued
// to two sets of accounts: two ledgers under one master key both number
// from case-0001, and so do two copies of one ledger (a backup restored,
// two processes on one file), but their nonces differ. A case key's own
// canary seed and subkeys follow from its secret as for any key.
func (k *Key) DeriveCase(ledgerID, caseID, nonce string) (*Key, error) {
	if err := CheckCaseID(caseID); err != nil {
		return nil, err
	}
	if !caseIDPattern.MatchString(ledgerID) || !caseIDPattern.MatchString(nonce) {
		return nil, fmt.Errorf("ledger id %q or case nonce %q: use 1-32 letters, digits, '_' or '-'", ledgerID, nonce)
	}
	if k.Case != "" {
		return nil, fmt.Errorf("key %s is already the key of case %s: cases are derived from the master key", k.ID, k.Case)
	}
	id := k.ID + "." + caseID
	if !idPattern.MatchString(id) {
		return nil, fmt.Errorf("case key id %q is longer than 64 characters: use a shorter master key id or case id", id)
	}
	b, err := hkdf.Key(sha256.New, k.secret[:], []byte(caseSalt), "case:"+ledgerID+":"+caseID+":"+nonce, 32)
	if err != nil {
		return nil, fmt.Errorf("derive case key: %w", err)
	}
	ck := &Key{ID: id, Created: k.Created, Params: k.Params, Tokenizer: k.Tokenizer, Case: caseID, Ledger: ledgerID, Master: k.ID}
	copy(ck.secret[:], b)
	return ck, nil
}
