#!/usr/bin/env bash
# The shared-state tests start their own redis-server processes (package
# internal/testredis). Install Debian's redis-server if missing, without
# starting a system service: invoke-rc.d is told not to (policy-rc.d exit
# 101) while it installs. Needs root, as on these machines; otherwise say
# what to install.
set -euo pipefail
if command -v redis-server >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-redis: need redis-server (apt-get install redis-server), as root" >&2
  exit 1
fi
echo "install-redis: installing redis-server" >&2
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
[ $had_policy -eq 1 ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
trap '[ $had_policy -eq 1 ] || rm -f "$policy"' EXIT
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
