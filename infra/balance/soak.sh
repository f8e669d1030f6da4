# ./balance soak [MINUTES] (sourced by ./balance after local.sh, whose ports, pidfiles and commands it uses): a soak of
# the topology the user started (like ./balance demo: its BALANCE_HOME and BALANCE_PORT_OFFSET), MINUTES long (30 by
# default). The scenarios' HTTP load through nginx (reads with and without a Consistency-Token, creates with and
# without an Idempotency-Key), chat clients posting, and a failure of the failure contract every few minutes (replica
# killed, leader killed, users-backend-1 killed, switchover, in turn; each killed node started again with the runner's
# own commands, the next failure only once the topology is whole again), while every instance's RSS, heap after GC,
# threads and open files and every PostgreSQL node's connections are recorded (every minute; every 10 s in runs under
# 10 minutes). Then the checks: no acknowledged write lost or stored twice, the replica holds them all, every answer one
# the failure contract allows then, every acknowledged chat message stored once, no resource growing more than 10 %
# from the first quarter to the last. The Java side is org.acme.balance.soak (topology-tests); it writes
# docs/benchmarks-soak.md and docs/benchmarks/soak.png (SOAK_OUT: another directory), every request in
# $BALANCE_HOME/soak/, and exits 1 when a check failed, printing which.
#
# Settings: SOAK_OUT [docs]

soak_out=${SOAK_OUT:-$root/docs}

# tools_classpath: topology-tests' classes and everything they use (the chat client of test-support, Jackson, JUnit's
# assertions that client calls, Vert.x for the bench's generators), compiled when older than their sources; the list is
# kept in target/soak.classpath. The soak and the bench's open-loop and chat generators run on it.
tools_classpath() {
  local classes=$root/topology-tests/target/classes list=$root/topology-tests/target/soak.classpath
  if [ ! -f "$list" ] || [ ! -f "$classes/org/acme/balance/soak/SoakMain.class" ] \
     || [ -n "$(find topology-tests/src/main test-support/src/main topology-tests/pom.xml test-support/pom.xml pom.xml \
                  -newer "$list" -print -quit)" ]; then
    ./mvnw -B -q -pl topology-tests -am compile \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile="$list" >&2 || die "building topology-tests failed"
  fi
  echo "$classes:$(cat "$list")"
}

soak() {
  local minutes=${1:-30} classpath
  [[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v m="$minutes" 'BEGIN { exit !(m > 0 && m <= 1440) }' \
    || die "usage: balance soak [MINUTES] (default 30; more than 0, at most 1440)"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$nginx_port/host")" = 200 ] || die "the topology is not up: ./balance up"
  command -v gnuplot >/dev/null 2>&1 || die "soak: gnuplot is missing (./balance deps)"
  classpath=$(tools_classpath)
  mkdir -p "$BALANCE_HOME/soak" "$soak_out/benchmarks"
  log "soak: $minutes minutes against the topology of $BALANCE_HOME (nginx :$nginx_port); report in $soak_out/benchmarks-soak.md"
  BALANCE_HOME=$BALANCE_HOME BALANCE_PORT_OFFSET=$offset \
    java -cp "$classpath" org.acme.balance.soak.SoakMain "$minutes" "$soak_out" "$BALANCE_HOME/soak"
}
