package openaicompat

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"forensics/llm"
	"forensics/llm/tokenizer"
)

func TestNewChecks(t *testing.T) {
	good, _ := url.Parse("http://gpu:8000/v1/")
	c, err := New(good, nil, Options{})
	if err != nil || c.Base().String() != "http://gpu:8000" || c.mode != RawLogprobs || c.seedMask != 1<<63-1 {
		t.Fatalf("New: %v, %v", c, err)
	}
	for _, tt := range []struct {
		url string
		o   Options
	}{
		{"ftp://gpu:8000", Options{}},
		{"http://", Options{}},
		{"http://gpu:8000", Options{Logprobs: "logits"}},
		{"http://gpu:8000", Options{SeedBits: 64}},
	} {
		u, _ := url.Parse(tt.url)
		if _, err := New(u, nil, tt.o); err == nil {
			t.Errorf("New(%s, %+v) accepted", tt.url, tt.o)
		}
	}
}

// TestAPIKey: the key goes with every request and nowhere else: not in
// the name, not in errors.
func TestAPIKey(t *testing.T) {
	f := newFakeEngine(t, " a")
	f.wantKey = "sk-SECRET-KEY"
	c := f.client(t, Options{APIKey: f.wantKey})
	if _, err := collect(t, c, streamReq(1), 0); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Has(context.Background(), "m"); !ok || err != nil {
		t.Fatalf("Has: %v %v", ok, err)
	}
	bad := f.client(t, Options{APIKey: "sk-SECRET-WRONG"})
	_, err := collect(t, bad, streamReq(1), 0)
	var ee *EngineError
	if !errors.As(err, &ee) || ee.StatusCode != 401 || strings.Contains(err.Error(), "SECRET") || strings.Contains(bad.Name(), "SECRET") {
		t.Fatalf("wrong key: %v (%s)", err, bad.Name())
	}
}

func TestAPIKeyFrom(t *testing.T) {
	t.Setenv("FORENSICS_TEST_ENGINE_KEY", " sk-env \n")
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte("sk-file\n"), 0o600)
	for _, tt := range []struct {
		env, file, want string
		ok              bool
	}{
		{"", "", "", true},
		{"FORENSICS_TEST_ENGINE_KEY", "", "sk-env", true},
		{"", file, "sk-file", true},
		{"FORENSICS_TEST_ENGINE_KEY", file, "", false},
		{"FORENSICS_TEST_UNSET_VARIABLE", "", "", false},
		{"", file + ".missing", "", false},
	} {
		k, err := APIKeyFrom(tt.env, tt.file)
		if k != tt.want || (err == nil) != tt.ok {
			t.Errorf("APIKeyFrom(%q, %q) = %q, %v", tt.env, tt.file, k, err)
		}
		if err != nil && strings.Contains(err.Error(), "sk-") {
			t.Errorf("error shows the key: %v", err)
		}
	}
}

// tinyVocab is a four-token byte-level BPE vocabulary with an end token.
func tinyVocab(t *testing.T) *tokenizer.Vocab {
	t.Helper()
	v, err := tokenizer.New(&tokenizer.File{Format: tokenizer.FileFormat, Model: "gpt2", Pre: "default",
		Tokens: []string{"a", "b", "Ġab", "<|eot|>"}, TokenTypes: []int32{1, 1, 1, 3}, Merges: []string{"a b", "Ġ ab"}, EOS: []int32{3}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestTokenIDs: tokens named by id (vLLM's return_tokens_as_token_ids)
// are the vocabulary's bytes, and its end token is known without a list;
// without a vocabulary they are refused.
func TestTokenIDs(t *testing.T) {
	f := newFakeEngine(t, "token_id:2", "token_id:0")
	f.prompt = "Once upon a time"
	f.cands = map[string]float64{"token_id:2": -0.1, "token_id:0": -1, "token_id:3": -2}
	c := f.client(t, Options{Vocab: tinyVocab(t), EOSTokens: []string{}})
	ds, err := collect(t, c, streamReq(1), 0)
	if err != nil || len(ds) != 1 || ds[0].Piece != " ab" {
		t.Fatalf("drafts %q, %v", pieces(ds), err)
	}
	var eos int
	for _, cd := range ds[0].Candidates {
		if cd.EOS {
			eos++
		}
	}
	if eos != 1 || !slices.ContainsFunc(ds[0].Candidates, func(c llm.Candidate) bool { return c.Piece == "a" }) {
		t.Fatalf("candidates %+v", ds[0].Candidates)
	}
	if _, err := collect(t, f.client(t, Options{}), streamReq(1), 0); err == nil || !strings.Contains(err.Error(), "backend.tokenizer") {
		t.Fatalf("token ids without a vocabulary: %v", err)
	}
}

func TestPieceForms(t *testing.T) {
	c, _ := New(&url.URL{Scheme: "http", Host: "x"}, nil, Options{})
	for _, tt := range []struct {
		tok  tokenLP
		want string
		eos  bool
		ok   bool
	}{
		{tokenLP{Token: " the"}, " the", false, true},
		{tokenLP{Token: "bytes:\\xe2\\x82"}, "\xe2\x82", false, true},
		{tokenLP{Token: "bytes:a\\x41"}, "aA", false, true},
		{tokenLP{Token: "bytes:\\x4"}, "", false, false},
		{tokenLP{Token: "bytes:\\xzz"}, "", false, false},
		{tokenLP{Token: "\ufffd", Bytes: []int{0xe2, 0x82}}, "\xe2\x82", false, true},
		{tokenLP{Token: "x", Bytes: []int{300}}, "", false, false},
		{tokenLP{Token: "\ufffd"}, "", false, false},
		{tokenLP{Token: "<|im_end|>"}, "<|im_end|>", true, true},
		{tokenLP{Token: "token_id:x"}, "", false, false},
	} {
		p, eos, err := c.piece(tt.tok)
		if p != tt.want || eos != tt.eos || (err == nil) != tt.ok {
			t.Errorf("piece(%+v) = %q, %v, %v", tt.tok, p, eos, err)
		}
	}
}
