// Package reasoning holds the labelled data of the reasoning-request
// classifier (package forensics/logscan/reasoning): hand-written lines in
// src/ and examples.jsonl, generated from them by gen. See README.md.
package reasoning

//go:generate go run ./gen -src src -out examples.jsonl
