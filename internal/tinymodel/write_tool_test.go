package tinymodel

import (
	"context"
	"os"
	"testing"

	"forensics/llm/embedded"
)

// TestWriteForManualUse writes a model to $TINYMODEL_OUT when set (a
// development aid for trying the model in Ollama by hand).
func TestWriteForManualUse(t *testing.T) {
	out := os.Getenv("TINYMODEL_OUT")
	if out == "" {
		t.Skip("set TINYMODEL_OUT to write a model file")
	}
	m, _ := embedded.Load()
	s, err := FromEmbedded(context.Background(), m, 95, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(out, s); err != nil {
		t.Fatal(err)
	}
}
