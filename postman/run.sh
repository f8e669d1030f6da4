#!/usr/bin/env bash
# Runs the Postman collection against the API with newman.
#   postman/run.sh [BASE_URL]      (default: baseUrl of local.postman_environment.json, http://127.0.0.1:8080;
#                                   https://127.0.0.1:8443 runs it over TLS, accepting the local self-signed certificate)
# newman is installed locally into postman/node_modules on first use (needs npm and the npm registry).
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
newman="$dir/node_modules/.bin/newman"

if [[ ! -x "$newman" ]]; then
    command -v npm >/dev/null || { echo "run.sh: npm is required to install newman" >&2; exit 2; }
    echo "run.sh: installing newman into $dir/node_modules" >&2
    npm install --no-audit --no-fund --prefix "$dir" newman@6 >&2
fi

args=(run "$dir/users-api.postman_collection.json"
      --environment "$dir/local.postman_environment.json"
      --reporters cli)
if [[ $# -ge 1 && -n "$1" ]]; then
    args+=(--env-var "baseUrl=$1")
    # nginx's HTTPS port has a self-signed certificate unless a real one is configured (NGINX_TLS_CERT)
    [[ "$1" != https://* ]] || args+=(--insecure)
fi

set +e
"$newman" "${args[@]}"
rc=$?
set -e
exit "$rc"
