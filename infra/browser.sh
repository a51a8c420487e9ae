#!/usr/bin/env bash
# Installs Debian's Chromium when missing, for the console's browser tests
# (internal/console, driven by chromedp). `make test` runs it first, so a
# fresh machine or CI gets it the way infra/stack.sh gets Java.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then exit 0; fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
logs="${PAT_STACK_LOGS:-$here/.logs}"
mkdir -p "$logs"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser: the console tests need Chromium at /usr/bin/chromium" >&2; exit 1
fi
echo "browser: installing Chromium for the console tests" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium) >"$logs/apt-chromium.log" 2>&1 \
  || { echo "browser: could not install Chromium (see $logs/apt-chromium.log)" >&2; exit 1; }
