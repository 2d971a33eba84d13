package caseledger

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// ledgerLines is the test ledger's lines, without newlines.
func ledgerLines(t *testing.T) [][]byte {
	t.Helper()
	data, err := os.ReadFile(writeTestLedger(t))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func TestMirrorFollowsTheLedger(t *testing.T) {
	lines := ledgerLines(t)
	m, err := NewMirror(pubOf(testSigner))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range lines {
		e, err := m.Add(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if got, _ := e.Line(); !bytes.Equal(got, line) {
			t.Fatalf("line %d: Line() is not the line read", i+1)
		}
	}
	want, err := ReadFile(writeTestLedger(t), pubOf(testSigner))
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != len(want) || m.ID() == "" {
		t.Fatalf("mirror holds %d events (id %q), the ledger %d", m.Len(), m.ID(), len(want))
	}
	cases := m.Cases()
	if len(cases) != 2 || !cases[0].Open() || cases[1].Open() || len(cases[0].Members) != 3 {
		t.Fatalf("cases %+v", cases)
	}
}

func TestMirrorRefuses(t *testing.T) {
	lines := ledgerLines(t)
	tamper := func(i int, old, new string) [][]byte {
		out := append([][]byte(nil), lines...)
		out[i] = []byte(strings.Replace(string(lines[i]), old, new, 1))
		return out
	}
	cases := []struct {
		name  string
		pub   []byte
		lines [][]byte
		at    int // the line refused (0-based)
	}{
		{"other signer", pubOf(otherKey), lines, 0},
		{"gap", pubOf(testSigner), [][]byte{lines[0], lines[2]}, 1},
		{"replayed line", pubOf(testSigner), [][]byte{lines[0], lines[1], lines[1]}, 2},
		{"edited account", pubOf(testSigner), tamper(2, `"d"`, `"e"`), 2},
		{"not canonical", pubOf(testSigner), [][]byte{append([]byte(" "), lines[0]...)}, 0},
		{"not json", pubOf(testSigner), [][]byte{[]byte("{")}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := NewMirror(c.pub)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range c.lines {
				_, err := m.Add(line)
				if i < c.at && err != nil {
					t.Fatalf("line %d refused: %v", i+1, err)
				}
				if i == c.at {
					if err == nil {
						t.Fatalf("line %d accepted", i+1)
					}
					if m.Len() != c.at {
						t.Fatalf("a refused line changed the mirror: %d events", m.Len())
					}
					return
				}
			}
		})
	}
}

func TestMirrorNeedsAKey(t *testing.T) {
	if _, err := NewMirror(nil); err == nil {
		t.Fatal("a mirror without the ledger's public key")
	}
}

func FuzzMirrorAdd(f *testing.F) {
	f.Add([]byte(`{"format":"x"}`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, _ := NewMirror(pubOf(testSigner))
		if _, err := m.Add(line); err == nil {
			t.Fatalf("an unsigned fuzz line was accepted: %q", line)
		}
	})
}
