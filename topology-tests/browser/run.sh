#!/usr/bin/env bash
# Runs a browser test of this directory with headless Chromium: chat-browser.mjs unless the first argument names
# another script (NAME.mjs); the arguments after it are the script's.
#   topology-tests/browser/run.sh [SCRIPT.mjs] BASE_URL OUT_DIR [MORE...]
# e.g. run.sh http://127.0.0.1:8080 target/browser  (screenshots: OUT_DIR/chat.png, OUT_DIR/chat-bob.png)
#      run.sh ops-page.mjs http://127.0.0.1:9190/user/ target/browser  (the ops page; screenshot: OUT_DIR/ops.png)
#      run.sh chat-reconnect.mjs http://127.0.0.1:8080 target/browser http://127.0.0.1:8082
#        (prints "KILL <instance>" and waits for a line "killed" on stdin: see the script)
# Debian's chromium is installed with apt when missing; playwright-core (driver only, no browser download)
# is installed locally into topology-tests/browser/node_modules on first use (needs npm and the npm registry).
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
playwright_version=1.65.1   # needs Node.js 20+

script=chat-browser.mjs
if [[ "${1:-}" == *.mjs ]]; then
    script=$1
    shift
fi
[[ -f "$dir/$script" ]] || { echo "run.sh: no browser test $dir/$script" >&2; exit 2; }
if [[ $# -lt 2 || -z "$1" || -z "$2" ]]; then
    echo "usage: $0 [SCRIPT.mjs] BASE_URL OUT_DIR [MORE...]" >&2
    exit 2
fi

if [[ ! -x /usr/bin/chromium ]]; then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "run.sh: installing chromium with apt-get" >&2
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi

command -v node >/dev/null || { echo "run.sh: node is required" >&2; exit 2; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
    echo "run.sh: playwright-core $playwright_version needs Node.js 20 or later, found $(node --version)" >&2
    exit 2
fi

# installed, and at the pinned version (a stale copy from an older pin is replaced)
installed="$(node -p "require('$dir/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
if [[ "$installed" != "$playwright_version" ]]; then
    command -v npm >/dev/null || { echo "run.sh: npm is required to install playwright-core" >&2; exit 2; }
    echo "run.sh: installing playwright-core@$playwright_version into $dir/node_modules" >&2
    npm install --no-audit --no-fund --prefix "$dir" "playwright-core@$playwright_version" >&2
fi

mkdir -p "$2"
set +e
node "$dir/$script" "$@"
rc=$?
set -e
exit "$rc"
