// Package reasoning tells whether a request asks the model for its
// reasoning trace (chain of thought, step-by-step working, a "reasoning"
// field or <think> tags in the output format, "show your work"), in any
// of the languages of its training data and wherever in the text the
// request sits.
//
// The model is a logistic regression over hashed character n-grams of
// NFKC-normalised, lower-cased text, trained by this package's own code
// (Train) on the labelled data in corpora/reasoning. A text is read as
// overlapping windows of bounded length, and its score is the highest
// window's: an instruction inside a long document or a system prompt is
// not diluted by the text around it. Scoring is one pass over the text in
// memory bounded independently of its length. Explain names the window and
// the n-grams behind a score. See docs/reasoning-classifier.md.
package reasoning

//go:generate go run ./gen -data ../../corpora/reasoning/examples.jsonl -out weights.bin
