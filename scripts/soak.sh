#!/usr/bin/env bash
# Soak: the relay jar as a child process against the simulator (50 rooms, 20 msg/s) and an embedded broker
# for N minutes, with periodic faults (upstream bans, broker restarts, relay SIGTERM restarts, one kill -9).
# Prints generated / published / duplicates / lost (with causes) and the relay's heap and RSS over time.
#   scripts/soak.sh [--minutes N]     (default 30; N >= 2 for at least one fault)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (usage: scripts/soak.sh [--minutes N])" >&2; exit 2 ;;
  esac
done
case "$minutes" in ''|*[!0-9]*) echo "--minutes needs a whole number, got '$minutes'" >&2; exit 2 ;; esac
mvn -B -o -q -DskipTests package test-compile >&2
mvn -B -o -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
work=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
echo "soak: work directory (broker data, relay logs) $work" >&2
exec java -Xmx1g -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener -cp "$cp" io.danmakurelay.bench.SoakDriver "$minutes" target/danmaku-relay.jar "$work"
