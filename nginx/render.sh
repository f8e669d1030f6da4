#!/bin/sh
# Render nginx/nginx.conf.template into a config file. Used by the local runner and by the nginx image.
#   nginx/render.sh OUTPUT
# Environment:
#   USERS_BACKENDS         instances in round robin, "host:port host:port ..." (users-backend-1, -2)
#   USERS_BACKUP_BACKENDS  instances used only when all of the above are down (users-backend-3)
#   NGINX_LISTEN           [8080]  address:port or port (plain HTTP)
#   NGINX_TLS_LISTEN       [8443]  address:port or port (HTTPS)
#   NGINX_STATUS_LISTEN    [127.0.0.1:9191]  stub_status for the nginx exporter and /metrics (the answers by status
#                          class and request time) for Prometheus (loopback only: not the API's ports; compose: the
#                          container's internal address)
#   NGINX_STATUS_ALLOW     [127.0.0.1]  the addresses both answer (space-separated), every other one 403
#   NGINX_TLS_CERT, NGINX_TLS_KEY  a real certificate and its key (PEM); when unset, a self-signed one for the
#                          names below is made once in $NGINX_STATE/tls (local use only)
#   NGINX_SERVER_NAMES     [localhost 127.0.0.1]  the host names served; any other Host gets 421
#   NGINX_RATE_LIMIT       [10000r/s]  requests per client address (nginx's rate syntax: 50r/s, 600r/m)
#   NGINX_RATE_BURST       [2000]      requests above the rate answered at once before 429s start
#   NGINX_CONN_LIMIT       [512]       open connections per client address
#   NGINX_STATE            [/tmp/nginx]  pid file, the generated certificate
#   NGINX_TEMP             [$NGINX_STATE]  request bodies and responses buffered to disk: nginx's workers (not root)
#                          must be able to enter it
#   NGINX_ACCESS_LOG       [/dev/stdout]   NGINX_ERROR_LOG [/dev/stderr]
#   NGINX_JS_MODULE        [/usr/lib/nginx/modules/ngx_http_js_module.so]  njs (Debian: libnginx-mod-http-js)
#   NGINX_NDK_MODULE, NGINX_LUA_MODULE  [/usr/lib/nginx/modules/ndk_http_module.so, .../ngx_http_lua_module.so]  Lua
#                          for the answer counts (Debian: libnginx-mod-http-lua)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: render.sh OUTPUT}
: "${USERS_BACKENDS:?USERS_BACKENDS must list the instances (host:port ...)}"
export NGINX_LISTEN="${NGINX_LISTEN:-8080}" NGINX_TLS_LISTEN="${NGINX_TLS_LISTEN:-8443}" NGINX_STATE="${NGINX_STATE:-/tmp/nginx}"
export NGINX_TEMP="${NGINX_TEMP:-$NGINX_STATE}" NGINX_STATUS_LISTEN="${NGINX_STATUS_LISTEN:-127.0.0.1:9191}"
export NGINX_ACCESS_LOG="${NGINX_ACCESS_LOG:-/dev/stdout}" NGINX_ERROR_LOG="${NGINX_ERROR_LOG:-/dev/stderr}"
export NGINX_SERVER_NAMES="${NGINX_SERVER_NAMES:-localhost 127.0.0.1}"
export NGINX_RATE_LIMIT="${NGINX_RATE_LIMIT:-10000r/s}" NGINX_RATE_BURST="${NGINX_RATE_BURST:-2000}"
export NGINX_CONN_LIMIT="${NGINX_CONN_LIMIT:-512}"
NGINX_STATUS_ALLOW_RULES=""
for address in ${NGINX_STATUS_ALLOW:-127.0.0.1}; do NGINX_STATUS_ALLOW_RULES="${NGINX_STATUS_ALLOW_RULES}allow $address; "; done
export NGINX_STATUS_ALLOW_RULES
export NGINX_JS_MODULE="${NGINX_JS_MODULE:-/usr/lib/nginx/modules/ngx_http_js_module.so}" NGINX_HOME="$here"
export NGINX_NDK_MODULE="${NGINX_NDK_MODULE:-/usr/lib/nginx/modules/ndk_http_module.so}"
export NGINX_LUA_MODULE="${NGINX_LUA_MODULE:-/usr/lib/nginx/modules/ngx_http_lua_module.so}"

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
for d in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$NGINX_TEMP/$d"; done

if [ -n "${NGINX_TLS_CERT:-}${NGINX_TLS_KEY:-}" ]; then
  # a real certificate: both files must be there, never silently replaced by a self-signed one
  [ -r "${NGINX_TLS_CERT:-}" ] && [ -r "${NGINX_TLS_KEY:-}" ] \
    || { echo "render.sh: NGINX_TLS_CERT and NGINX_TLS_KEY must both name readable PEM files" >&2; exit 1; }
else
  export NGINX_TLS_CERT="$NGINX_STATE/tls/self-signed.crt" NGINX_TLS_KEY="$NGINX_STATE/tls/self-signed.key"
  if [ ! -s "$NGINX_TLS_CERT" ] || [ ! -s "$NGINX_TLS_KEY" ]; then
    mkdir -p "$NGINX_STATE/tls"
    san=""
    for name in $NGINX_SERVER_NAMES; do
      case "$name" in
        *[!0-9.]*) san="$san,DNS:$name" ;;   # a name
        *) san="$san,IP:$name" ;;            # an IPv4 address
      esac
    done
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
      -subj "/CN=$(echo "$NGINX_SERVER_NAMES" | cut -d' ' -f1)" -addext "subjectAltName=${san#,}" \
      -keyout "$NGINX_TLS_KEY" -out "$NGINX_TLS_CERT" 2>/dev/null) \
      || { echo "render.sh: could not make a self-signed certificate (is openssl installed?)" >&2; exit 1; }
    echo "render.sh: made a self-signed certificate for $NGINX_SERVER_NAMES in $NGINX_STATE/tls (local use only)" >&2
  fi
fi

# Only our variables: nginx's own ($host, $status, ...) stay as they are.
envsubst '${NGINX_LISTEN} ${NGINX_TLS_LISTEN} ${NGINX_STATUS_LISTEN} ${NGINX_STATUS_ALLOW_RULES} ${NGINX_STATE} ${NGINX_TEMP} ${NGINX_ACCESS_LOG} ${NGINX_ERROR_LOG} ${USERS_API_SERVERS} ${USERS_WS_SERVERS} ${NGINX_SERVER_NAMES} ${NGINX_RATE_LIMIT} ${NGINX_RATE_BURST} ${NGINX_CONN_LIMIT} ${NGINX_TLS_CERT} ${NGINX_TLS_KEY} ${NGINX_JS_MODULE} ${NGINX_NDK_MODULE} ${NGINX_LUA_MODULE} ${NGINX_HOME}' \
  < "$here/nginx.conf.template" > "$out"
