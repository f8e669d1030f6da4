#!/usr/bin/env bash
# The etcd Patroni keeps its leader key in: one member, the same flags for the local runner and the image.
#   etcd-member.sh DATA_DIR LISTEN_HOST ADVERTISE_HOST CLIENT_PORT PEER_PORT
# The v2 API is on (--enable-v2): Patroni uses it (postgres/patroni.yml says why).
set -euo pipefail
data=${1:?usage: etcd-member.sh DATA_DIR LISTEN_HOST ADVERTISE_HOST CLIENT_PORT PEER_PORT}
listen=${2:?} advertise=${3:?} client=${4:?} peer=${5:?}
exec etcd --name etcd --data-dir "$data" --logger zap --log-level warn --enable-v2=true \
  --listen-client-urls "http://$listen:$client" --advertise-client-urls "http://$advertise:$client" \
  --listen-peer-urls "http://$listen:$peer" --initial-advertise-peer-urls "http://$advertise:$peer" \
  --initial-cluster "etcd=http://$advertise:$peer"
