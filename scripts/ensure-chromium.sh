#!/usr/bin/env bash
# The browser tests drive Debian's Chromium. Install it when missing and we are allowed to
# (root with apt-get); otherwise say exactly what to do. Never downloads a browser of its own.
set -euo pipefail
for bin in chromium chromium-browser; do
  if command -v "$bin" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need Chromium: run 'sudo apt-get install -y chromium' (Debian/Ubuntu)," >&2
echo "or set CHROMIUM_PATH to a Chromium binary. To run without them: OAUTH_GUARD_SKIP_BROWSER=1 npm test" >&2
[ "${CI:-}" = "" ] && [ "${OAUTH_GUARD_SKIP_BROWSER:-}" = 1 ] && exit 0
exit 1
