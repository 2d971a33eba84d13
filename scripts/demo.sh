#!/usr/bin/env bash
# The walk-through on the embedded model: make a key, generate watermarked
# and plain text, and test each (and human text, and a watermarked passage
# hidden in human text) for the watermark. Every number it prints comes
# from this run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/forensics
out=.walkthrough
mkdir -p "$out"
rm -f "$out/key.yaml"
prompt="The letter said"

echo "== keygen"
$bin keygen --out "$out/key.yaml"

echo
echo "== generate 200 watermarked pieces with the embedded model, then detect"
$bin generate --key "$out/key.yaml" --prompt "$prompt" --min-tokens 200 --max-tokens 200 --seed 1 > "$out/watermarked.txt"
echo "$prompt$(head -c 300 "$out/watermarked.txt") …"
$bin detect --key "$out/key.yaml" --prompt "$prompt" "$out/watermarked.txt"

echo
echo "== the same model and seed without the watermark"
$bin generate --no-watermark --prompt "$prompt" --min-tokens 200 --max-tokens 200 --seed 1 > "$out/plain.txt"
$bin detect --key "$out/key.yaml" --prompt "$prompt" "$out/plain.txt"

echo
echo "== 300 watermarked pieces pasted into 12 kB of Newton's Opticks (--windows)"
{
  head -c 6000 corpora/text/newton-opticks.txt
  $bin generate --key "$out/key.yaml" --min-tokens 300 --max-tokens 300 --seed 3
  tail -c 6000 corpora/text/newton-opticks.txt
} > "$out/mixed.txt"
$bin detect --key "$out/key.yaml" --windows "$out/mixed.txt"

echo
echo "== human text: all of Opticks (public domain, corpora/)"
$bin detect --key "$out/key.yaml" --windows corpora/text/newton-opticks.txt

echo
echo "== detection offline from an exported tokenizer file"
$bin tokenizer export --from embedded --out "$out/tokenizer.json"
$bin detect --key "$out/key.yaml" --tokenizer "$out/tokenizer.json" --prompt "$prompt" --json "$out/watermarked.txt" | grep -E '^  "(keys_tried|tokens_scored|green|log10_p|adjusted_log10_p|watermarked)"'

echo
echo "== the gateway: serve the embedded model, ask through the OpenAI API, detect the answer"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18088)
key="demo-key-$$"   # a throwaway API key; the config holds only its hash
hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
cat > "$out/serve.yaml" <<YAML
listen: 127.0.0.1:$port
keys: {default: key.yaml}
defaults: {key: default}
accounts:
  - {name: demo, api_keys: ["sha256:$hash"]}
log: {path: requests.jsonl}
YAML
rm -f "$out/requests.jsonl"
$bin serve --config "$out/serve.yaml" 2> "$out/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H "Authorization: Bearer $key" \
  -d '{"model":"embedded","messages":[{"role":"user","content":"Tell me about Moscow."}],"max_tokens":200,"min_tokens":200,"seed":7}' \
  > "$out/answer.json"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["choices"][0]["message"]["content"])' "$out/answer.json" > "$out/answer.txt" 2>/dev/null \
  || sed -n 's/.*"content":"\([^"]*\)".*/\1/p' "$out/answer.json" > "$out/answer.txt"
echo "answer: $(head -c 200 "$out/answer.txt") …"
$bin detect --key "$out/key.yaml" "$out/answer.txt"
kill -TERM $pid; wait $pid 2>/dev/null || true
trap - EXIT
echo "request log line (the input of scan-logs):"
head -c 600 "$out/requests.jsonl"; echo " …"
