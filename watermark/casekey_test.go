package watermark

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDeriveCase(t *testing.T) {
	var secret [32]byte
	for i := range secret {
		secret[i] = byte(i)
	}
	master, err := NewKeyFromSecret("main", DefaultParams(), secret, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	const ledger, nonce = "0123456789abcdef", "00112233aabbccdd"
	ck, err := master.DeriveCase(ledger, "case-0001", nonce)
	if err != nil {
		t.Fatal(err)
	}
	// The vector is HKDF-SHA256 computed by a few lines of Python's hmac
	// module (RFC 5869, one block; info "case:0123456789abcdef:case-0001:00112233aabbccdd"),
	// independently of crypto/hkdf.
	if got, want := hex.EncodeToString(ck.secret[:]), "be19f666e6493e55a8813c5d5f4465cdf4d281cb31233ef337875e47ed622366"; got != want {
		t.Errorf("case secret %s, want %s", got, want)
	}
	if ck.ID != "main.case-0001" || ck.Case != "case-0001" || ck.Master != "main" || ck.Params != master.Params {
		t.Errorf("case key %+v: id, case, master or params wrong", ck)
	}
	again, _ := master.DeriveCase(ledger, "case-0001", nonce)
	other, _ := master.DeriveCase(ledger, "case-0002", nonce)
	otherLedger, _ := master.DeriveCase("fedcba9876543210", "case-0001", nonce)
	otherNonce, _ := master.DeriveCase(ledger, "case-0001", "ffeeddccbbaa9988")
	if otherLedger.Commitment() == ck.Commitment() || otherNonce.Commitment() == ck.Commitment() {
		t.Error("the same case id in two ledgers, or with two nonces, gives the same key")
	}
	if again.Commitment() != ck.Commitment() {
		t.Error("derivation is not repeatable")
	}
	if other.Commitment() == ck.Commitment() || ck.Commitment() == master.Commitment() {
		t.Error("different cases (or a case and its master) share a commitment")
	}
	if ck.CanarySeed() == master.CanarySeed() || ck.CanarySeed() == other.CanarySeed() {
		t.Error("a case shares its canary seed with the master or another case")
	}
	if _, err := ck.DeriveCase(ledger, "x", nonce); err == nil {
		t.Error("derived a case of a case key")
	}
	for _, bad := range []string{"", "a.b", "-x", strings.Repeat("a", 33), "a b", "é"} {
		if _, err := master.DeriveCase(ledger, bad, nonce); err == nil {
			t.Errorf("case id %q accepted", bad)
		}
	}
	long, _ := NewKeyFromSecret(strings.Repeat("k", 60), DefaultParams(), secret, time.Time{})
	if _, err := long.DeriveCase(ledger, "case-1", nonce); err == nil {
		t.Error("a case key id over 64 characters was accepted")
	}
}

// TestCaseKeysIndependent checks that case keys' green lists are not
// correlated with each other or with the master's: over 200,000 tuples,
// the share green under both of two keys is γ² within 4.5 standard errors.
func TestCaseKeysIndependent(t *testing.T) {
	var secret [32]byte
	secret[0] = 7
	master, _ := NewKeyFromSecret("m", DefaultParams(), secret, time.Time{})
	a, _ := master.DeriveCase("l1", "a", "n")
	b, _ := master.DeriveCase("l1", "b", "n")
	pairs := [][2]*Key{{master, a}, {a, b}, {master, b}}
	const n = 200000
	g := master.Gamma
	for _, p := range pairs {
		s1, s2 := NewScheme(p[0]), NewScheme(p[1])
		both := 0
		for i := range uint64(n) {
			ctx := []uint64{i * 0x9e3779b97f4a7c15, i ^ 0xabcdef}
			fp := Fingerprint("w" + string(rune('a'+i%26)))
			if s1.IsGreen(s1.Value(ctx, fp)) && s2.IsGreen(s2.Value(ctx, fp)) {
				both++
			}
		}
		mean, sd := n*g*g, math.Sqrt(n*g*g*(1-g*g))
		if d := (float64(both) - mean) / sd; d > 4.5 || d < -4.5 {
			t.Errorf("%s and %s: %d tuples green under both, expected %.0f (z = %.1f)", p[0].ID, p[1].ID, both, mean, d)
		}
	}
}
