package e2e

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/ollama/ollama/api"

	"forensics/llm/tokenizer"
)

// TestTokenizerMatchesServer exports the tokenizer from the GGUF and from
// /api/show, and checks both split text into exactly the token ids the
// server itself uses (the context ids of a non-raw generate).
func TestTokenizerMatchesServer(t *testing.T) {
	o := server(t)
	ctx := context.Background()
	fromGGUF, err := tokenizer.FromGGUF(ggufs[modelTiny])
	if err != nil {
		t.Fatal(err)
	}
	fromShow, err := tokenizer.FromOllama(ctx, o.url(), modelTiny, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fromGGUF.ID() != fromShow.ID() {
		t.Fatalf("tokenizer from GGUF (%s) and from /api/show (%s) differ", fromGGUF.ID(), fromShow.ID())
	}
	tk, err := tokenizer.New(fromShow)
	if err != nil {
		t.Fatal(err)
	}
	if err := tokenizer.VerifyOllama(ctx, o.url(), modelTiny, tk, nil); err != nil {
		t.Fatal(err)
	}
	// The trap the verification exists for: the same vocabulary labelled
	// "default" is split by the server's llama.cpp runner with a different
	// pattern set; the check must catch a tokenizer that guessed wrong.
	wrong := *fromShow
	wrong.Pre = "qwen2"
	wtk, err := tokenizer.New(&wrong)
	if err != nil {
		t.Fatal(err)
	}
	if err := tokenizer.VerifyOllama(ctx, o.url(), modelTiny, wtk, nil); err == nil {
		t.Fatal("a tokenizer with the wrong pre-tokenizer passed verification")
	} else {
		t.Logf("wrong pre-tokenizer caught: %v", err)
	}
	client := api.NewClient(o.url(), http.DefaultClient)
	stream := false
	texts := []string{
		"The letter said that Prince Andrew would come.",
		"numbers 1805, 3.14 and 12,000 roubles; also: 'quoted' \"text\"!",
		"naïve café — Ελληνικά, русский, 日本語 🙂 emoji",
		"  leading spaces and\ttabs\n\nand newlines  ",
	}
	for _, text := range texts {
		var got []int
		err := client.Generate(ctx, &api.GenerateRequest{Model: modelTiny, Prompt: text, Stream: &stream,
			Options: map[string]any{"num_predict": 1, "temperature": 0}}, func(r api.GenerateResponse) error {
			if r.Done {
				got = r.Context
			}
			return nil
		})
		if err != nil {
			t.Fatalf("generate: %v\n%s", err, logTail(o.logPath))
		}
		ids, err := tk.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int, len(ids))
		for i, id := range ids {
			want[i] = int(id)
		}
		if len(got) < len(want) || !reflect.DeepEqual(got[:len(want)], want) {
			t.Errorf("%q: server ids %v, ours %v", text, got, want)
		}
	}
}
