#!/usr/bin/env bash
# The report tests read PDFs with pdftotext (poppler-utils) and open the
# HTML report in headless Chromium. Install both from Debian if missing
# (needs root, as on these machines); otherwise say what to install.
set -euo pipefail
missing=()
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-report-tools: need ${missing[*]} (apt-get install ${missing[*]}), as root" >&2
  exit 1
fi
echo "install-report-tools: installing ${missing[*]}" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
