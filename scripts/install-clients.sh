#!/usr/bin/env bash
# The client suite (e2e/clients_test.go) drives the gateway with the
# official `openai` and `ollama` npm packages, pinned in
# e2e/clients/package-lock.json. Install Node.js and npm from Debian if
# missing (needs root, as on these machines), then `npm ci` them into the
# git-ignored e2e/clients/node_modules. Cached: nothing is done when
# node_modules was installed from the same package-lock.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/e2e/clients"
# Debian 12 ships Node 18; the suite has run on Node 20 (these machines'
# image). openai 7 needs 22, hence openai 6.
min_node=18

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-clients: need ${missing[*]} (apt-get install ${missing[*]}), as root" >&2
    exit 1
  fi
  echo "install-clients: installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt "$min_node" ]; then
  echo "install-clients: node $(node --version) is older than $min_node" >&2
  exit 1
fi

# --node-only: check Node and npm only (scripts/install-hfref.sh).
if [ "${1:-}" = "--node-only" ]; then
  exit 0
fi

# The stamp is the lock file's hash: a changed lock reinstalls.
stamp="$dir/node_modules/.forensics-lock.sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  [ -f "$dir/node_modules/openai/package.json" ] && [ -f "$dir/node_modules/ollama/package.json" ]; then
  exit 0
fi
echo "install-clients: npm ci in e2e/clients (node $(node --version), npm $(npm --version))" >&2
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
echo "$want" >"$stamp"
