// Command gen trains the embedded model's tokenizer and encodes its corpus,
// writing the files the embedded package ships. Run it through
// `go generate ./llm/embedded`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"forensics/llm/embedded"
)

func main() {
	out := flag.String("out", "data", "folder to write tokenizer.json and corpus.ids.gz to")
	flag.Parse()
	a, err := embedded.Build(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for name, data := range map[string][]byte{"tokenizer.json": a.Tokenizer, "corpus.ids.gz": a.IDs} {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d bytes)\n", filepath.Join(*out, name), len(data))
	}
}
