#!/usr/bin/env bash
# Entrypoint of the nginx image: renders the configuration (render.sh, the environment's settings), then becomes nginx.
set -euo pipefail
/opt/balance/nginx/render.sh /tmp/nginx/nginx.conf
exec nginx -e /dev/stderr -c /tmp/nginx/nginx.conf
