package corpora

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestSourcesUnchanged(t *testing.T) {
	want := map[string]string{
		"tolstoy-war-and-peace.txt": "eaecfcb30408e2bc35ffe69b297127e3a6ca75548c033df4d2e703b5ff711f8d",
		"newton-opticks.txt":        "d4a9ac22462b35e7821a4f2706c211093da678620a8f9997989ee7cf8d507bbd",
	}
	for _, s := range Sources {
		b, err := Raw(s.File)
		if err != nil {
			t.Fatal(err)
		}
		d := sha256.Sum256(b)
		if got := hex.EncodeToString(d[:]); got != want[s.File] {
			t.Errorf("%s: sha256 %s, README says %s", s.File, got, want[s.File])
		}
	}
}

func TestParagraphs(t *testing.T) {
	paras, err := Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	if len(paras) < 10000 {
		t.Fatalf("%d paragraphs", len(paras))
	}
	for _, p := range paras {
		if strings.ContainsAny(p, "\n_") || strings.Contains(p, "  ") || p != strings.TrimSpace(p) {
			t.Fatalf("paragraph not cleaned: %q", p)
		}
	}
	train, held := Split(paras)
	if len(train)+len(held) != len(paras) || len(held) != len(paras)/HeldOutEvery {
		t.Fatalf("split %d + %d of %d", len(train), len(held), len(paras))
	}
	t.Logf("%d paragraphs: %d train, %d held out", len(paras), len(train), len(held))
}
