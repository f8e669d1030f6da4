#!/bin/sh
# Render nginx/nginx.conf.template into a config file. Used by the local runner and by the nginx image.
#   nginx/render.sh OUTPUT
# Environment:
#   USERS_BACKENDS         instances in round robin, "host:port host:port ..." (users-backend-1, -2)
#   USERS_BACKUP_BACKENDS  instances used only when all of the above are down (users-backend-3)
#   NGINX_LISTEN           [8080]  address:port or port
#   NGINX_STATE            [/tmp/nginx]  pid file and temporary files
#   NGINX_ACCESS_LOG       [/dev/stdout]   NGINX_ERROR_LOG [/dev/stderr]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: render.sh OUTPUT}
: "${USERS_BACKENDS:?USERS_BACKENDS must list the instances (host:port ...)}"
export NGINX_LISTEN="${NGINX_LISTEN:-8080}" NGINX_STATE="${NGINX_STATE:-/tmp/nginx}"
export NGINX_ACCESS_LOG="${NGINX_ACCESS_LOG:-/dev/stdout}" NGINX_ERROR_LOG="${NGINX_ERROR_LOG:-/dev/stderr}"

# Passive health check of every instance: one failure takes it out of rotation for 5 s.
servers() { # servers EXTRA ADDRESS...
  extra=$1; shift
  for address in "$@"; do printf '        server %s max_fails=1 fail_timeout=5s%s;\n' "$address" "$extra"; done
}
# shellcheck disable=SC2086 # word splitting of the address lists is intended
USERS_API_SERVERS="$(servers '' $USERS_BACKENDS; servers ' backup' ${USERS_BACKUP_BACKENDS:-})"
# shellcheck disable=SC2086
USERS_WS_SERVERS="$(servers '' $USERS_BACKENDS ${USERS_BACKUP_BACKENDS:-})"
export USERS_API_SERVERS USERS_WS_SERVERS

mkdir -p "$NGINX_STATE"
for d in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$NGINX_STATE/$d"; done
# Only our variables: nginx's own ($host, $status, ...) stay as they are.
envsubst '${NGINX_LISTEN} ${NGINX_STATE} ${NGINX_ACCESS_LOG} ${NGINX_ERROR_LOG} ${USERS_API_SERVERS} ${USERS_WS_SERVERS}' \
  < "$here/nginx.conf.template" > "$out"
