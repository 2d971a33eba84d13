// Package corpora embeds the text the project ships: the public-domain
// English prose the embedded reference model is trained on (and that
// calibration uses as human-written null text). See README.md in this
// folder for where each text came from and its licence.
package corpora

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
)

//go:embed text/*.txt
var texts embed.FS

// TopicsYAML is the topic taxonomy scan-logs uses (topics.yaml).
//
//go:embed topics.yaml
var TopicsYAML []byte

// Source describes one embedded text.
type Source struct {
	File   string // under text/
	Title  string
	Author string
}

// Sources are the texts of the reference corpus, in training order.
var Sources = []Source{
	{File: "tolstoy-war-and-peace.txt", Title: "War and Peace (tr. Louise and Aylmer Maude)", Author: "Leo Tolstoy"},
	{File: "newton-opticks.txt", Title: "Opticks, 4th edition (1730)", Author: "Isaac Newton"},
}

// Raw returns a text's bytes as shipped.
func Raw(file string) ([]byte, error) {
	b, err := texts.ReadFile("text/" + file)
	if err != nil {
		return nil, fmt.Errorf("corpora: %w", err)
	}
	return b, nil
}

var (
	blankLine = regexp.MustCompile(`\n[ \t]*\n`)
	spaces    = regexp.MustCompile(`\s+`)
)

// Paragraphs returns the corpus as paragraphs: split at blank lines, hard
// line wraps joined, white space collapsed, and the underscores that mark
// italics in the Project Gutenberg transcriptions removed. Paragraphs of
// fewer than 3 characters are dropped.
func Paragraphs() ([]string, error) {
	var out []string
	for _, s := range Sources {
		raw, err := Raw(s.File)
		if err != nil {
			return nil, err
		}
		text := strings.ReplaceAll(string(raw), "\r\n", "\n")
		for _, p := range blankLine.Split(text, -1) {
			p = strings.ReplaceAll(p, "_", "")
			p = strings.TrimSpace(spaces.ReplaceAllString(p, " "))
			if len(p) >= 3 {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// HeldOutEvery is the stride of the held-out split: every HeldOutEvery-th
// paragraph is held out of training.
const HeldOutEvery = 20

// Split divides paragraphs into training and held-out sets, interleaved so
// that both books are represented in each.
func Split(paragraphs []string) (train, heldOut []string) {
	for i, p := range paragraphs {
		if i%HeldOutEvery == HeldOutEvery-1 {
			heldOut = append(heldOut, p)
		} else {
			train = append(train, p)
		}
	}
	return train, heldOut
}
