package jsonl

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string, max int) (lines []string, errs []int) {
	t.Helper()
	r := NewReader(strings.NewReader(in), max)
	for {
		line, err := r.Next()
		if err == io.EOF {
			return
		}
		var le *LineError
		if errors.As(err, &le) {
			errs = append(errs, le.Line)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(line))
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		max   int
		lines []string
		errs  []int
	}{
		{"empty", "", 10, nil, nil},
		{"one without newline", "abc", 10, []string{"abc"}, nil},
		{"crlf and blanks", "a\r\n\r\n  \nb\n", 10, []string{"a", "b"}, nil},
		{"too long skipped", "ok\n" + strings.Repeat("x", 20) + "\nnext\n", 10, []string{"ok", "next"}, []int{2}},
		{"exactly max", strings.Repeat("y", 10) + "\n", 10, []string{strings.Repeat("y", 10)}, nil},
		{"max+1", strings.Repeat("y", 11), 10, nil, []int{1}},
		{"long beyond buffer", strings.Repeat("z", 200000) + "\nend", 100, []string{"end"}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, errs := readAll(t, tt.in, tt.max)
			if strings.Join(lines, "|") != strings.Join(tt.lines, "|") || len(errs) != len(tt.errs) {
				t.Fatalf("lines %q errs %v, want %q %v", lines, errs, tt.lines, tt.errs)
			}
			for i := range errs {
				if errs[i] != tt.errs[i] {
					t.Fatalf("error lines %v, want %v", errs, tt.errs)
				}
			}
		})
	}
}

func FuzzReader(f *testing.F) {
	f.Add("a\nb\r\n\n", 3)
	f.Add(strings.Repeat("x", 100)+"\n", 10)
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max < 1 || max > 1<<16 {
			return
		}
		r := NewReader(strings.NewReader(in), max)
		for i := 0; i < len(in)+2; i++ {
			line, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrLineTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if len(line) > max || len(line) == 0 {
				t.Fatalf("line of %d bytes with max %d", len(line), max)
			}
		}
		t.Fatal("reader did not reach EOF")
	})
}
