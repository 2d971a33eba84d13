#!/usr/bin/env bash
# The foundation walk-through: make a key, generate watermarked and plain
# text with the built-in toy model, and test each, plus a human text, for
# the watermark. Everything it prints comes from this run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/forensics
out=.demo
mkdir -p "$out"
rm -f "$out/key.yaml"

echo "== keygen"
$bin keygen --out "$out/key.yaml"

echo
echo "== generate 200 watermarked pieces (toy model), then detect"
$bin generate --key "$out/key.yaml" --model toy --prompt "Once upon a time" --max-tokens 200 --temperature 1 --seed 1 > "$out/watermarked.txt"
head -c 160 "$out/watermarked.txt"; echo " …"
$bin detect --key "$out/key.yaml" --prompt "Once upon a time" "$out/watermarked.txt"

echo
echo "== the same model without the watermark"
$bin generate --model toy --no-watermark --prompt "Once upon a time" --max-tokens 200 --temperature 1 --seed 1 > "$out/plain.txt"
$bin detect --key "$out/key.yaml" "$out/plain.txt"

echo
echo "== a watermarked passage of 150 pieces inside 3,000 plain ones (--windows)"
{
  $bin generate --model toy --no-watermark --max-tokens 1500 --temperature 1 --seed 2
  $bin generate --key "$out/key.yaml" --model toy --max-tokens 150 --temperature 1 --seed 3
  $bin generate --model toy --no-watermark --max-tokens 1500 --temperature 1 --seed 4
} > "$out/mixed.txt"
$bin detect --key "$out/key.yaml" --windows "$out/mixed.txt"

human="$(go env GOROOT)/src/testdata/Isaac.Newton-Opticks.txt"
if [ -f "$human" ]; then
  echo
  echo "== human text: Newton's Opticks (public domain, shipped with Go)"
  $bin detect --key "$out/key.yaml" --windows "$human"
fi
