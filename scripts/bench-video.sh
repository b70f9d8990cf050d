#!/usr/bin/env bash
# Video pool benchmark: reads the simulator's 8,000-danmaku pool (raw deflate, as comment.bilibili.com sends it),
# then runs the relay's own code on the same bytes (VideoVerticle.poolAnswer: inflate and StAX parse checking every
# p field; PartDeduper; VideoVerticle.items: the record values; Pipeline; the sink's RecordFormat encoding) beside a
# bare StAX parse and a bare inflate + parse (with the JDK's StAX and with Aalto, the relay's), alternating in one JVM. Prints ms per pool (means and medians) and
# danmaku/s. Kafka's own round trip is left out: the pipeline bench measures it.
#   scripts/bench-video.sh [ROUNDS]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
mvn -B -q -o test-compile >&2
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
exec java -Xmx1g -cp "$cp" io.danmakurelay.bench.VideoBench "$rounds"
