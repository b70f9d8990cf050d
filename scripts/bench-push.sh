#!/usr/bin/env bash
# Push benchmark (issue 11), the PUSH scenario of scripts/bench-capture.sh: 1,000 rooms, 1,000 msg/s, one room at
# 300 msg/s, every push connection dropped 30-60 s after it authenticated; upstream.mode poll vs push vs hybrid in
# one run, each for real: simulator -> relay jar (own process) -> embedded Kafka, compared with the simulator's
# ground truth. Prints capture, duplicates, what push alone missed, CPU per message, delay p50/p99 and RSS.
#   scripts/bench-push.sh [--mode poll|push|hybrid]... [--warmup SECONDS] [--window SECONDS] [--budget REQ_PER_S]
# Default run (3 modes, 20 s warm-up + 60 s window each, plus start-up and drain): about 9 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests package test-compile >&2
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
uptime
exec java -Xmx4g -cp "$cp" io.danmakurelay.bench.PushBench target/danmaku-relay.jar "$@"
