#!/usr/bin/env bash
# Builds the pinned Ollama from the Go module proxy and caches the binary,
# then prints its path. Idempotent: a cached binary of the right version is
# reused. Needs root for apt-get (the C headers the module zip leaves out).
#
#   scripts/build-ollama.sh            # prints the binary's path
#   OLLAMA_VERSION=v0.17.4 FORENSICS_CACHE=~/.cache/forensics scripts/build-ollama.sh
set -euo pipefail
version="${OLLAMA_VERSION:-v0.17.4}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${FORENSICS_CACHE:-$root/.cache}/ollama/$version"
bin="$cache/ollama"
export PATH="/usr/local/go/bin:$PATH"

# The version is in the path; go install leaves the binary unversioned.
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

# nlohmann/json and stb_image come from Debian; miniaudio from our shim.
missing=()
for pkg in nlohmann-json3-dev libstb-dev g++; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-ollama: installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

echo "build-ollama: building ollama $version (about 15 minutes cold on 2 cores)" >&2
start=$(date +%s)
tmp="$cache.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=1 \
CGO_CPPFLAGS="-I$root/scripts/ollama-shim" \
GOBIN="$tmp" GOFLAGS= \
  go install "github.com/ollama/ollama@$version" >&2
mkdir -p "$cache"
mv "$tmp/ollama" "$bin"
echo "build-ollama: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
