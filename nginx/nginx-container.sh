#!/usr/bin/env bash
# Entrypoint of the nginx image: renders the configuration (render.sh, the environment's settings), then becomes nginx.
# With NGINX_ACCESS_LOG_COPY (compose: a volume the mtail container reads) a loop keeps that file bounded: over
# NGINX_ACCESS_LOG_COPY_MAX_MB (32) it is emptied in place (nginx appends, mtail reads a truncated file from its start),
# so it never fills a disk, with or without mtail reading it.
set -euo pipefail
/opt/balance/nginx/render.sh /tmp/nginx/nginx.conf
if [ -n "${NGINX_ACCESS_LOG_COPY:-}" ]; then
  max=$(( ${NGINX_ACCESS_LOG_COPY_MAX_MB:-32} * 1024 * 1024 ))
  ( while sleep 10; do
      [ "$(stat -c %s "$NGINX_ACCESS_LOG_COPY" 2>/dev/null || echo 0)" -le "$max" ] || : > "$NGINX_ACCESS_LOG_COPY"
    done ) </dev/null &
fi
exec nginx -e /dev/stderr -c /tmp/nginx/nginx.conf
