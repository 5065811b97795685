#!/usr/bin/env bash
# The shared-store tests (test/store/) start Debian's redis-server on a free loopback port. Install
# it when missing and we are allowed to (root with apt-get); otherwise say exactly what to do.
set -euo pipefail
if [ -n "${REDIS_SERVER_PATH:-}" ] && [ -x "$REDIS_SERVER_PATH" ]; then exit 0; fi
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's redis-server for the shared-store tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "The shared-store tests need Redis: run 'sudo apt-get install -y redis-server' (Debian/Ubuntu)," >&2
echo "or set REDIS_SERVER_PATH to a redis-server binary." >&2
exit 1
