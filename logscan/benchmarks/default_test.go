package benchmarks

import (
	"bytes"
	"fmt"
	"testing"

	benchdata "forensics/corpora/benchmarks"
)

func TestDefaultLoadsTheShippedSuites(t *testing.T) {
	want := []SuiteInfo{
		{Name: "gsm8k", Items: 1319},
		{Name: "humaneval", Items: 164},
		{Name: "mbpp", Items: 974},
		{Name: "truthfulqa", Items: 480, Skipped: 337},
		{Name: "gsm8k-cot-exemplars", Items: 16},
	}
	s := Default()
	if fmt.Sprint(s.Suites()) != fmt.Sprint(want) {
		t.Fatalf("shipped suites %+v, want %+v (SOURCES.md and docs/benchmarks.md list them)", s.Suites(), want)
	}
	if Default() != s {
		t.Error("Default read the file twice")
	}
	// The shipped file is exactly what WriteTo makes of it: built by this
	// code's format, not edited by hand.
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), benchdata.Default) {
		t.Errorf("the shipped file does not re-encode byte for byte (%v)", err)
	}
	if len(benchdata.Default) > 512<<10 {
		t.Errorf("the shipped file has grown to %d bytes", len(benchdata.Default))
	}
}

// TestHashesAreFormatV1 pins normalisation, shingling and hashing: the
// shipped file was built with them, so a change here silently stops it
// matching. Change them only with a new format version and a rebuilt
// default.fp (SOURCES.md says how).
func TestHashesAreFormatV1(t *testing.T) {
	words, ends := normalize(nil, nil, "The Ｑuick, brown fox's 1,024 jumps: (B) over_it!")
	if string(words) != "the quick brown foxs 1024 jumps over it " {
		t.Errorf("normalised %q", words)
	}
	var got []string
	shingles(words, ends, func(_ int, h uint64) { got = append(got, fmt.Sprintf("%016x", h)) })
	want := []string{"8b205bb30e6f71cb", "9903cab3d179571a", "678700817cb67d6a", "b711ffb12d6f9067", "a48a487475026aef", "2575cf5a1a36d9e1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("normalised %q; shingle hashes %q, want %q", words, got, want)
	}
}
