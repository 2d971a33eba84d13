// Command tinygguf writes the end-to-end tests' tiny llama-architecture
// model (see internal/tinymodel) to a file, for trying Ollama by hand and
// for scripts/repro-ollama-cancel-hang.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"forensics/internal/tinymodel"
	"forensics/llm/embedded"
)

func main() {
	out := flag.String("out", "tiny.gguf", "GGUF file to write")
	long := flag.Bool("no-eos", false, "suppress the end token (long generations)")
	flag.Parse()
	m, err := embedded.Load()
	if err == nil {
		var s *tinymodel.Spec
		if s, err = tinymodel.FromEmbedded(context.Background(), m, 95, 1); err == nil {
			if *long {
				s.SuppressEOS(100)
			}
			err = tinymodel.Write(*out, s)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tinygguf:", err)
		os.Exit(1)
	}
	fmt.Println(*out)
}
