package heldout_test

import (
	"bytes"
	"fmt"
	"log"

	"forensics/internal/heldout"
)

func ExampleGenerate() {
	var requests, accounts bytes.Buffer
	labels, err := heldout.Generate(heldout.Config{Seed: 1, Scale: 0.01}, &requests, &accounts)
	if err != nil {
		log.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, k := range labels.Attackers {
		kinds[k] = true
	}
	fmt.Println(len(kinds), "attack kinds in", len(labels.Clusters), "campaigns of several accounts")
	// Output: 13 attack kinds in 12 campaigns of several accounts
}
