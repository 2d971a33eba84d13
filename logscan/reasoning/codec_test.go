package reasoning

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestMarshalRoundTrip(t *testing.T) {
	b, err := Default().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m Model
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := m.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Fatal("round trip changed the model")
	}
	if m.Score("Let's think step by step.") != Default().Score("Let's think step by step.") {
		t.Error("decoded model scores differently")
	}
}

func header(p Params, nz uint64) []byte {
	b := []byte(magic)
	for _, v := range []int{p.MinN, p.MaxN, p.HashBits, p.Window, p.Stride} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 0x3ff0000000000000) // scale 1
	return binary.AppendUvarint(b, nz)
}

func TestUnmarshalRejects(t *testing.T) {
	p := Params{MinN: 1, MaxN: 4, HashBits: 10, Window: 64, Stride: 16}
	shipped := Default()
	good, _ := shipped.MarshalBinary()
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"bad magic", []byte("RSNCLS9\n")},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte{}, good...), 0)},
		{"hash space too big", header(Params{MinN: 1, MaxN: 4, HashBits: 30, Window: 64, Stride: 16}, 0)},
		{"window not a multiple of stride", header(Params{MinN: 1, MaxN: 4, HashBits: 10, Window: 60, Stride: 16}, 0)},
		{"n-gram too long", header(Params{MinN: 1, MaxN: 9, HashBits: 10, Window: 64, Stride: 16}, 0)},
		{"more weights than bytes", header(p, 1000)},
		{"zero gap", append(header(p, 2), 1, 5, 0, 5)},
		{"index past the end", append(header(p, 1), 0x80, 0x10, 5)},
		{"zero weight", append(header(p, 1), 1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Model
			if err := m.UnmarshalBinary(tt.data); err == nil {
				t.Error("accepted")
			}
		})
	}
	var m Model
	if err := m.UnmarshalBinary(append(header(p, 1), 3, 7)); err != nil {
		t.Errorf("a valid small model: %v", err)
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	good, _ := Default().MarshalBinary()
	p := Params{MinN: 1, MaxN: 4, HashBits: 10, Window: 64, Stride: 16}
	f.Add(good)
	f.Add(good[:200])
	f.Add(append(header(p, 2), 3, 7, 1, 0x80))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Model
		if err := m.UnmarshalBinary(data); err != nil {
			return
		}
		// Accepted input is canonical: it encodes back to itself.
		out, _ := m.MarshalBinary()
		if !bytes.Equal(out, data) {
			t.Fatalf("decoded model encodes to other bytes")
		}
		if s := m.Score("Show your work, step by step."); !(s >= 0 && s <= 1) {
			t.Fatalf("score %v", s)
		}
	})
}

func FuzzScore(f *testing.F) {
	for _, s := range []string{"", " ", "Let's think step by step.", "<think>", "e\u0301\u0301\u0301", "\xff\xfe", "ﬁ ㍿ Ⅻ", "請一步一步思考"} {
		f.Add(s)
	}
	m := Default()
	f.Fuzz(func(t *testing.T, text string) {
		s := m.Score(text)
		if !(s >= 0 && s <= 1) {
			t.Fatalf("score %v", s)
		}
		seg, top := m.Explain(text, 5)
		if len(top) > 5 || len(seg) > 4*(m.p.Window+m.p.MaxN)*4 {
			t.Fatalf("explanation too big: %d n-grams, %d-byte window", len(top), len(seg))
		}
		if _, words := m.ExplainWords(text, 5); len(words) > 5 {
			t.Fatalf("%d words", len(words))
		}
	})
}
