#!/usr/bin/env bash
# The walk-through on the embedded model: make a key, generate watermarked
# and plain text, and test each (and human text, and a watermarked passage
# hidden in human text) for the watermark. Every number it prints comes
# from this run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/forensics
out=.demo
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
$bin detect --key "$out/key.yaml" --tokenizer "$out/tokenizer.json" --prompt "$prompt" --json "$out/watermarked.txt" | grep -E '"(tokens_scored|green|log10_p|watermarked)"'
