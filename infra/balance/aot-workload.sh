#!/bin/sh
# The workload an AOT cache is trained on (JDK 25+): what the API serves in real use, against a training instance.
# Used by the local runner (train_aot_cache) and by the JVM image's build (users-service/src/main/docker/Dockerfile.jvm).
#   aot-workload.sh API_BASE MANAGEMENT_BASE      e.g. http://127.0.0.1:8095 http://127.0.0.1:9095
# Each round creates a user of its own (with an Idempotency-Key), updates and deletes it: the data is left as it was.
# Plain sh and curl: the image has no more.
set -u
base=${1:?API base URL}
mgmt=${2:?management base URL}
tag=aot-$$
ids=""
i=1
while [ "$i" -le 50 ]; do ids="$ids $base/users/$i"; i=$((i + 1)); done
round=1
while [ "$round" -le 20 ]; do
  id=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -H "Idempotency-Key: $tag-$round" \
    -d "{\"name\":\"Training $round\",\"email\":\"$tag-$round@training.invalid\"}" "$base/users" \
    | tr -d '\r' | sed -n 's|^[Ll]ocation: .*/users/\([0-9][0-9]*\)$|\1|p')
  if [ -n "$id" ]; then
    curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
      -d "{\"name\":\"Trained $round\",\"email\":\"$tag-$round@training.invalid\"}" "$base/users/$id"
    curl -s -o /dev/null "$base/users/$id"
    curl -s -o /dev/null -X DELETE "$base/users/$id"
  fi
  # reads by id (most of them not there: 404 problems too), pages, the info endpoints, chat history, bad input
  # shellcheck disable=SC2086
  # (-o names the first URL's output only: the answers of the others go to /dev/null with stdout)
  curl -s $ids "$base/users?page=0&size=20" "$base/users?page=1&size=5" "$base/db" "$base/host" \
    "$base/date" "$base/users/abc" "$base/users?size=500" "$base/chat/lobby/messages" "$mgmt/q/health/ready" >/dev/null
  curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"name":1}' "$base/users"
  round=$((round + 1))
done
exit 0
