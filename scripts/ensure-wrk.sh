#!/usr/bin/env bash
# The tree benchmark loads the server with wrk (Debian package) over loopback.
# Installs it when missing; needs root, as CI and the project's machines have.
set -euo pipefail
if [ -x /usr/bin/wrk ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-wrk: /usr/bin/wrk is missing; install Debian's wrk (apt-get install wrk)" >&2
  exit 1
fi
echo "ensure-wrk: installing Debian's wrk for the tree benchmark" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
