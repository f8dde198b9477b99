#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright's own browser download cannot work here).
# Installs it when missing; needs root, as CI and the project's machines have.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing; install Debian's chromium (apt-get install chromium)" >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium for the browser tests" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
