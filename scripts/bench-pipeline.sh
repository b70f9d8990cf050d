#!/usr/bin/env bash
# Pipeline benchmark: simulator at a high rate, no budget limit, the relay jar publishing to an embedded
# broker, then a bare Kafka producer sending the same records. Prints msgs/s and CPU s per million messages.
#   scripts/bench-pipeline.sh [ROOMS] [TOTAL_RATE] [SECONDS] [ZIPF] [BUDGET]
#   (defaults: 1000 rooms, 8000 msg/s, 30 s, Zipf 0.6, 1500 requests/s)
# BENCH_RELAY_JAVA_OPTS adds JVM options to the relay process (e.g. a flight recording).
set -euo pipefail
cd "$(dirname "$0")/.."
rooms=${1:-1000}; rate=${2:-8000}; seconds=${3:-30}; zipf=${4:-0.6}; budget=${5:-1500}
mvn -B -q -DskipTests package test-compile >&2
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
exec java -Xmx2g -cp "$cp" io.danmakurelay.bench.PipelineBench "$rooms" "$rate" "$seconds" target/danmaku-relay.jar "$cp" "$zipf" "$budget"
