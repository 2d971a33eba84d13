package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRequestLogRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "requests.jsonl")
	l, err := openRequestLog(path, 2000, 3)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := 0; i < n; i++ {
		if err := l.Write(&LogEntry{RequestID: fmt.Sprintf("r%03d", i), Account: "a", Params: map[string]any{}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The newest lines are in path, older ones in path.1 … path.3; the
	// oldest beyond that were dropped. No file exceeds the limit and no
	// line is split or repeated.
	seen := map[string]bool{}
	files := 0
	for _, p := range []string{path, path + ".1", path + ".2", path + ".3"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		files++
		if len(data) > 2000 {
			t.Errorf("%s is %d bytes, over the 2000 limit", p, len(data))
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			id := line[strings.Index(line, `"request_id":"`)+14:][:4]
			if seen[id] {
				t.Errorf("line %s twice", id)
			}
			seen[id] = true
		}
	}
	if _, err := os.Stat(path + ".4"); err == nil {
		t.Error("more rotated files than max_files")
	}
	if !seen[fmt.Sprintf("r%03d", n-1)] {
		t.Error("newest line missing")
	}
	t.Logf("%d files hold the newest %d of %d lines", files, len(seen), n)
}
