// Package probe questions a suspect model and tests whether it depends on
// text our watermarked service generated: the plan (a manifest, fixed
// before the first query), the queries and their raw exchanges (the
// transcripts), the relay check by request log, and the test battery that
// turns the transcripts into Results.
//
// # Pipeline
//
// The packages run in this order:
//
//	watermark → serve → logscan → probe → evidence → report
//
// probe scores answers with the watermark scheme and reads our gateways'
// request logs (logscan, reqlog); it imports none of serve, evidence or
// report, and knows nothing of sealing, signing or verifying a bundle.
// Package evidence finishes a probe's folder into a signed evidence
// bundle and verifies one, re-deriving the results through Analyze;
// evidence.Probe runs a whole probe (Collect, then evidence.Finish).
//
// # A probe
//
// Collect runs one probe described by a Setup: it opens and checks the
// targets (target.go: ollama://, openai://, embedded:, file:), prepares
// the folder (Prepare writes the manifest last, so its presence means the
// folder is complete), asks every planned query with retries and a budget
// (Run, appending to the transcripts as answers arrive, resumable after a
// crash or an interruption) and searches the request logs for the
// suspect's prompts (CheckRelayLog). Analyze is the battery: the
// radioactivity test (our watermark in the suspect's answers, with a
// key-swap null, controls and a relay check against our own service), the
// canary test (secret planted answers) and the equality test (is the
// suspect our model served unchanged), weighted Holm over them, and a
// verdict in plain words per proposition.
//
// # The files of a probe's folder
//
//	manifest.json      the plan, hashed into every transcript record (FileManifest)
//	canaries.yaml      the canary set the prompts and triggers come from (FileCanaries)
//	tokenizer.json     the teacher's tokenizer, when it has a definition (FileTokenizer)
//	source-ROLE.jsonl  the copy of a file: target, committed to by the manifest
//	transcripts.jsonl  one record per query: raw request and response, text (FileTranscripts)
//	relay-log.json     the relay check by request log, when planned (FileRelayLog)
//
// Package evidence adds results.json, MERKLE_ROOT, SHA256SUMS and
// SHA256SUMS.sig, and package report its report files.
package probe
