#!/usr/bin/env bash
# Builds the jar when it is missing or older than the sources, then runs the relay:
#   scripts/run.sh --demo            relay + embedded Kafka + simulator
#   scripts/run.sh --room 21452505   follow a real room (needs network access to Bilibili)
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/danmaku-relay.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml conf src/main -newer "$jar" -print -quit)" ]; then
  echo "building $jar ..." >&2
  mvn -B -q -DskipTests package
fi
exec java ${JAVA_OPTS:-} -jar "$jar" run "$@"
