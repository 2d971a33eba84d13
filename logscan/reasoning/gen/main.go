// Command gen trains the shipped reasoning-request model on the training
// split of corpora/reasoning and writes its weights (go generate
// ./logscan/reasoning). A test retrains and checks the shipped file is
// byte-identical.
package main

import (
	"flag"
	"fmt"
	"os"

	"forensics/logscan/reasoning"
)

func main() {
	data := flag.String("data", "../../corpora/reasoning/examples.jsonl", "labelled examples (JSONL)")
	out := flag.String("out", "weights.bin", "file to write")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	m, err := reasoning.TrainShipped(data)
	if err != nil {
		return err
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
