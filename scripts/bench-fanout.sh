#!/usr/bin/env bash
# Fan-out benchmark: N WebSocket clients across rooms, a steady publish rate; prints deliveries/s,
# publish-to-receipt latency and server heap per connection. Server and clients run in two JVMs.
# Usage: scripts/bench-fanout.sh [--clients 2000] [--rooms 20] [--rate 500] [--seconds 15] [--text 60]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! build_log=$(mvn -B -o -q test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test 2>&1); then
  echo "$build_log"
  exit 1
fi
CP="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"

ulimit -n 65536 2>/dev/null || true
SERVER_OUT=$(mktemp)
java -Xms512m -Xmx1g -XX:+UseG1GC -cp "$CP" io.danmakurelay.fanout.FanoutBench server >"$SERVER_OUT" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -f "$SERVER_OUT"' EXIT

PORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$SERVER_OUT")
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_OUT"; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "bench server did not start"; cat "$SERVER_OUT"; exit 1; }

java -Xms256m -Xmx1g -cp "$CP" io.danmakurelay.fanout.FanoutBench clients --port "$PORT" "$@"
