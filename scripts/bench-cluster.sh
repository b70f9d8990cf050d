#!/usr/bin/env bash
# Cluster benchmark (issue 13): 1, 2 and 3 relay processes on this machine against one embedded broker and the
# simulator, S1-like traffic scaled up (1000 Zipf rooms, 900 msg/s: three times S1's), each relay with the same
# per-relay budget (upstream.requestsPerSecond, 50 as in S1). Prints captured messages/s per relay count, the
# ratio to 1 relay, and requests per relay per second. One relay is the baseline (no cluster); 2 or more run with
# cluster.enabled and stop with a clear error, printing no figures, if the relays do not form one group.
#   scripts/bench-cluster.sh [--relays 1,2,3] [--rooms N] [--rate MSG_PER_S] [--budget REQ_PER_S]
#                            [--warmup SECONDS] [--window SECONDS] [--quick] [--seed N]
# Full run (3 relay counts, 30 s warm-up + 60 s window + 63 s drain each): about 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  esac
done
mvn -B -q -DskipTests package test-compile >&2
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
exec java -Xmx1g -cp "$cp" io.danmakurelay.bench.ClusterBench target/danmaku-relay.jar "$@"
