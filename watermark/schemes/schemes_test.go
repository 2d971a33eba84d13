package schemes

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"forensics/watermark"
	"forensics/watermark/engine"
)

func TestRegistry(t *testing.T) {
	reg := Registered()
	if len(reg) != 3 || !reg[0].Default || reg[0].Name != watermark.SchemeName {
		t.Fatalf("registry: %+v", reg)
	}
	for _, s := range reg {
		got, err := Lookup(s.Name)
		if err != nil || got.Name != s.Name || s.Units == "" || s.Null == "" || len(s.PRFs) == 0 {
			t.Errorf("%s: %+v %v", s.Name, got, err)
		}
	}
	if _, err := Lookup("synthid"); err == nil || !strings.Contains(err.Error(), "vllm-gumbel") {
		t.Errorf("unknown scheme: %v", err)
	}
}

func TestParseKeyDispatches(t *testing.T) {
	own, err := watermark.NewKeyFromSecret("own", watermark.DefaultParams(), [32]byte{1}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := new(big.Int).SetString("123456789012345", 10)
	eng, err := engine.Import("eng", engine.SchemeGumbel, engine.PRFPhilox, n, 4, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		data       []byte
		scheme, id string
		commitment string
		wantEngine bool
	}{
		{own.Marshal(), watermark.SchemeName, "own", own.Commitment(), false},
		{eng.Marshal(), engine.SchemeGumbel, "eng", eng.Commitment(), true},
	} {
		k, err := ParseKey(c.data)
		if err != nil {
			t.Fatal(err)
		}
		_, isEngine := k.(Engine)
		if k.SchemeName() != c.scheme || k.KeyID() != c.id || k.Commitment() != c.commitment || isEngine != c.wantEngine {
			t.Errorf("%s: got %s %s engine=%v", c.id, k.SchemeName(), k.KeyID(), isEngine)
		}
	}
}

func TestSchemeOfNeverEchoes(t *testing.T) {
	const secret = "98765432109876543210"
	for _, data := range []string{"scheme: " + secret + "\n", "{[", "id: x\n", strings.Repeat("a", 70<<10)} {
		_, err := SchemeOf([]byte(data))
		if err == nil {
			t.Errorf("%.20q: no error", data)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error quotes the file: %v", err)
		}
	}
}
