#!/usr/bin/env bash
# ensure-deb.sh PACKAGE PURPOSE: installs Debian's PACKAGE when /usr/bin/PACKAGE is missing — the
# browser tests drive Debian's chromium (Playwright's own download cannot work here), the tree
# benchmark loads the server with wrk. Needs root, as CI and the project's machines have.
set -euo pipefail
package="$1" purpose="$2"
if [ -x "/usr/bin/$package" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-deb: /usr/bin/$package is missing; install Debian's $package (apt-get install $package)" >&2
  exit 1
fi
echo "ensure-deb: installing Debian's $package for $purpose" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
