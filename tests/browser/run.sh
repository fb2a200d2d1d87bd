#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs a script of tests/browser (default: the page test) with node and
# playwright-core, installing the pinned playwright-core (package-lock.json)
# with `npm ci` when node_modules is missing. playwright-core drives the
# system's Chromium (/usr/bin/chromium or $CHROMIUM); it downloads no
# browser. Usage: run.sh [visualizer_page_test.js | screenshots.js | --deps]
set -eu
cd "$(dirname "$0")"
chromium="${CHROMIUM:-/usr/bin/chromium}"
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "run.sh: $tool not found (apt-get install -y nodejs npm)" >&2; exit 1; }
done
[ -x "$chromium" ] ||
    { echo "run.sh: no Chromium at $chromium (apt-get install -y chromium, or set CHROMIUM)" >&2; exit 1; }
if [ ! -f node_modules/playwright-core/package.json ]; then
    echo "run.sh: installing playwright-core (npm ci)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
[ "${1:-}" = "--deps" ] && exit 0
exec node "${1:-visualizer_page_test.js}"
