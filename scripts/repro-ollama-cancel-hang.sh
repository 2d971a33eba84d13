#!/usr/bin/env bash
# Tries to reproduce what made the gateway read Ollama streams to their end
# instead of cancelling them: with Ollama v0.17.4, streaming requests closed
# early can leave the server answering nothing. It is intermittent: this
# loop hung the server once and then not in four later tries; the gateway's
# own cancel-on-rejection loop (which cancels a few tokens in, then sends
# the next request at once) hung it in both end-to-end runs that used it.
# Everything stays on 127.0.0.1 and is bounded: N cancelled streams of
# 0.15 s, then one request with a 10 s limit. Also prints the cost of 20
# sequential one-token requests.
#
#   scripts/repro-ollama-cancel-hang.sh [N]           # default N=60
#   OLLAMA_NEW_ENGINE=1 scripts/repro-ollama-cancel-hang.sh   # Go engine
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-60}"
bin=$(scripts/build-ollama.sh)
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export OLLAMA_HOST="127.0.0.1:$port" OLLAMA_MODELS="$dir/models"
go run ./internal/tinymodel/cmd/tinygguf -out "$dir/tiny.gguf" >/dev/null
"$bin" serve > "$dir/ollama.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; pkill -f "runner.*$dir" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://$OLLAMA_HOST/api/version" >/dev/null && break; sleep 0.1; done
printf 'FROM %s\n' "$dir/tiny.gguf" > "$dir/Modelfile"
"$bin" create tiny -f "$dir/Modelfile" >/dev/null 2>&1
req() { printf '{"model":"tiny","prompt":"The letter said %s","raw":true,%s"options":{"num_predict":%s,"top_k":20,"seed":%s}}' "$1" "$2" "$3" "$1"; }

start=$(date +%s.%N)
for i in $(seq 20); do curl -sf "http://$OLLAMA_HOST/api/generate" -d "$(req "$i" '"stream":false,' 1)" >/dev/null; done
echo "20 sequential one-token requests: $(python3 -c "print(round($(date +%s.%N)-$start,3))") s"

for i in $(seq "$n"); do
  timeout 0.15 curl -s -N "http://$OLLAMA_HOST/api/generate" -d "$(req "$i" '"logprobs":true,"top_logprobs":20,' 200)" 2>/dev/null | head -c 300 >/dev/null || true
done
if curl -s -m 10 "http://$OLLAMA_HOST/api/generate" -d "$(req 0 '"stream":false,' 5)" | grep -q '"done":true'; then
  echo "after $n cancelled streams: the server still answers"
else
  echo "after $n cancelled streams: the server did not answer within 10 s"
fi
