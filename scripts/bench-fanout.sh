#!/usr/bin/env bash
# Fan-out benchmark: N WebSocket clients, each subscribed to one room of each path, at a steady rate, first
# direct (messages handed straight to the fan-out: the old path) then through Kafka (committed in
# transactions by the clients' JVM, delivered by the server's read_committed CommittedFeed, as in the relay).
# Prints deliveries/s, latency (publish -> client for direct, Kafka commit -> client for kafka) and server heap
# per connection. The server JVM holds the embedded broker, the feed and the fan-out; the clients run in a
# second JVM.
# Usage: scripts/bench-fanout.sh [--clients 2000] [--rooms 20] [--rate 500] [--seconds 15] [--text 60]
#                                [--paths direct,kafka]
# JFR=1 records the server JVM with Flight Recorder and prints its hottest methods (target/bench-fanout.jfr).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! build_log=$(mvn -B -o -q test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test 2>&1); then
  echo "$build_log"
  exit 1
fi
CP="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"

ulimit -n 65536 2>/dev/null || true
JFR_OPTS=()
if [ "${JFR:-0}" = "1" ]; then
  rm -f target/bench-fanout.jfr
  JFR_OPTS=("-XX:StartFlightRecording=filename=target/bench-fanout.jfr,settings=profile,dumponexit=true")
fi
SERVER_OUT=$(mktemp)
java -Xms512m -Xmx1536m -XX:+UseG1GC "${JFR_OPTS[@]}" -cp "$CP" io.danmakurelay.fanout.FanoutBench server \
  >"$SERVER_OUT" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -f "$SERVER_OUT"' EXIT

PORT=""
for _ in $(seq 1 600); do
  PORT=$(sed -n 's/^PORT \([0-9]*\) BOOTSTRAP .*$/\1/p' "$SERVER_OUT")
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_OUT"; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "bench server did not start"; cat "$SERVER_OUT"; exit 1; }
BOOTSTRAP=$(sed -n 's/^PORT [0-9]* BOOTSTRAP \(.*\)$/\1/p' "$SERVER_OUT")

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xms256m -Xmx1g -cp "$CP" io.danmakurelay.fanout.FanoutBench clients --port "$PORT" --bootstrap "$BOOTSTRAP" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${JFR:-0}" = "1" ]; then
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  echo "server JVM, hottest top frames (JFR execution samples):"
  jfr print --events jdk.ExecutionSample target/bench-fanout.jfr \
    | awk '/stackTrace = \[/{getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print}' \
    | sort | uniq -c | sort -rn | head -25
  echo "server JVM, samples by thread:"
  jfr print --events jdk.ExecutionSample target/bench-fanout.jfr \
    | sed -n 's/^ *sampledThread = "\([^"]*\)".*/\1/p' | sed 's/-[0-9]*$//' | sort | uniq -c | sort -rn | head -12
fi
