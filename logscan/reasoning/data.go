package reasoning

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Example is one labelled text (a line of corpora/reasoning/examples.jsonl).
type Example struct {
	Text string `json:"text"`
	// Label is 1 when the text asks for a reasoning trace, else 0.
	Label int    `json:"label"`
	Lang  string `json:"lang"`
	// Phrasing names the hand-written line the text was built from; the
	// train/test split is by phrasing.
	Phrasing string `json:"phrasing"`
	// Kind is "reasoning", "task", "hard" (a hard negative) or "prose".
	Kind  string `json:"kind"`
	Split string `json:"split"` // "train" or "test"
	// Where is where the line was put: "alone", "after-task",
	// "before-task", "system", "in-document", "mid-line",
	// "after-english-task".
	Where string `json:"where"`
}

// maxExampleBytes bounds one line of an examples file.
const maxExampleBytes = 1 << 20

// ReadExamples reads JSONL examples.
func ReadExamples(r io.Reader) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxExampleBytes)
	var out []Example
	for n := 1; sc.Scan(); n++ {
		var e Example
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("examples line %d: %w", n, err)
		}
		if e.Label != 0 && e.Label != 1 {
			return nil, fmt.Errorf("examples line %d: label %d, want 0 or 1", n, e.Label)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("examples: %w", err)
	}
	return out, nil
}

// Filter returns the examples keep accepts.
func Filter(exs []Example, keep func(Example) bool) []Example {
	var out []Example
	for _, e := range exs {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// TrainShipped trains the shipped model from an examples file: on its
// training split, with DefaultTrainOptions.
func TrainShipped(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reasoning: %w", err)
	}
	defer f.Close()
	exs, err := ReadExamples(f)
	if err != nil {
		return nil, err
	}
	return Train(Filter(exs, func(e Example) bool { return e.Split == "train" }), DefaultTrainOptions)
}
