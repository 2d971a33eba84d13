// Command gen writes examples.jsonl, the labelled data of the reasoning-
// request classifier (package logscan/reasoning), from the hand-written
// phrasings, tasks and hard negatives in src/ and held-out paragraphs of
// the embedded prose: each phrasing is set in several realistic prompts
// (alone, before or after a task, as a system prompt, in the middle of a
// long document). The output depends on nothing but the inputs and a
// fixed seed; `go generate ./corpora/reasoning` rewrites it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"forensics/corpora"
)

// testEvery puts every testEvery-th line of each kind of each language in
// the test split, so test phrasings (and the tasks around them) are never
// seen in training.
const testEvery = 4

// line is one hand-written line of src/<lang>.txt.
type line struct {
	lang, kind, id, text, split string
}

// example is one line of examples.jsonl.
type example struct {
	Text     string `json:"text"`
	Label    int    `json:"label"`
	Lang     string `json:"lang"`
	Phrasing string `json:"phrasing"`
	Kind     string `json:"kind"`
	Split    string `json:"split"`
	Where    string `json:"where"` // where the line was put in the prompt
}

func main() {
	src := flag.String("src", "src", "folder of hand-written <lang>.txt files")
	out := flag.String("out", "examples.jsonl", "file to write")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	lines, err := readSources(src)
	if err != nil {
		return err
	}
	prose, err := proseLines()
	if err != nil {
		return err
	}
	exs := compose(lines, prose, rand.New(rand.NewPCG(2026, 19)))
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range exs {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readSources parses src/*.txt: "P: ", "T: " and "H: " lines (a reasoning
// request, an ordinary task, a hard negative); "\n" in a line is a line
// break; "#" lines are comments.
func readSources(dir string) ([]line, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []line
	for _, file := range files {
		lang := strings.TrimSuffix(filepath.Base(file), ".txt")
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		count := map[string]int{}
		for n, s := range strings.Split(string(b), "\n") {
			if s == "" || strings.HasPrefix(s, "#") {
				continue
			}
			kind, text, ok := strings.Cut(s, ": ")
			if !ok || (kind != "P" && kind != "T" && kind != "H") {
				return nil, fmt.Errorf("%s:%d: want a P, T or H line", file, n+1)
			}
			i := count[kind]
			count[kind]++
			split := "train"
			if i%testEvery == testEvery-1 {
				split = "test"
			}
			out = append(out, line{lang: lang, kind: kind, id: fmt.Sprintf("%s-%s-%03d", lang, kind, i),
				text: strings.ReplaceAll(text, `\n`, "\n"), split: split})
		}
	}
	return out, nil
}

// proseLines are held-out paragraphs of the embedded prose of 150 to 1200
// bytes: English text full of "reason", "think" and "step" in their
// ordinary senses, used as documents and as negatives.
func proseLines() ([]line, error) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		return nil, err
	}
	_, held := corpora.Split(paras)
	var out []line
	for _, p := range held {
		if len(p) < 150 || len(p) > 1200 {
			continue
		}
		i := len(out)
		split := "train"
		if i%testEvery == testEvery-1 {
			split = "test"
		}
		out = append(out, line{lang: "en", kind: "D", id: fmt.Sprintf("en-D-%03d", i), text: p, split: split})
		if len(out) == 120 {
			break
		}
	}
	return out, nil
}
