#!/usr/bin/env bash
# Pipeline benchmark: simulator at a high rate, no budget limit, the relay jar publishing to an embedded
# broker, then a bare Kafka producer sending the same records. Prints msgs/s and CPU s per million messages.
#   scripts/bench-pipeline.sh [ROOMS] [TOTAL_RATE] [SECONDS]     (defaults: 300 rooms, 8000 msg/s, 30 s)
set -euo pipefail
cd "$(dirname "$0")/.."
rooms=${1:-300}; rate=${2:-8000}; seconds=${3:-30}
mvn -B -q -DskipTests package test-compile >&2
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
exec java -Xmx2g -cp "$cp" io.danmakurelay.bench.PipelineBench "$rooms" "$rate" "$seconds" target/danmaku-relay.jar "$cp"
