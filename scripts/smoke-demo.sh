#!/usr/bin/env bash
# Runs the relay as a user would: the jar with --demo (embedded Kafka + simulator), then checks /health,
# reads danmaku, video danmaku and video metadata records back from Kafka with a real consumer, checks /metrics with promtool and a real
# Prometheus (scripts/prometheus-smoke.sh), and stops the relay with SIGTERM. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/danmaku-relay.jar
[ -f "$jar" ] || mvn -B -q -DskipTests package
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
java -jar "$jar" run --demo --set http.port="$port" --set kafka.embeddedPort=0 \
  --set kafka.dataDir="$work/kafka" >"$work/relay.log" 2>&1 &
relay=$!
cleanup() { kill "$relay" 2>/dev/null || true; wait "$relay" 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "smoke-demo: FAIL: $*" >&2; tail -n 30 "$work/relay.log" >&2; exit 1; }

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$relay" 2>/dev/null || fail "the relay exited"
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/health" | grep -q '"status":"UP"' || fail "/health is not UP"
bootstrap=$(curl -fsS "http://127.0.0.1:$port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kafka"]["bootstrap_servers"])')
echo "smoke-demo: relay UP on port $port, Kafka at $bootstrap"

# The first records arrive once the rooms are resolved and connected: on a loaded machine that can take a while,
# so read again (each read takes 10 s) until records come, for at most two minutes.
for _ in $(seq 1 12); do
  java -cp "$jar" scripts/ReadTopic.java "$bootstrap" danmaku 10 >"$work/records.txt" 2>"$work/read.log" && break
  kill -0 "$relay" 2>/dev/null || fail "the relay exited"
done
[ -s "$work/records.txt" ] || fail "no records in topic danmaku ($(tail -n 1 "$work/read.log"))"
head -n 1 "$work/records.txt" | grep -q '"room_id":' || fail "records do not look like danmaku"
grep -qE 'source=(push|gethistory) schema=1' "$work/records.txt" || fail "records lack the source/schema headers"
grep -q '"seq":' "$work/records.txt" || fail "records lack their seq"
# The demo shows every source: live rooms over the push stream (hybrid) and a video.
for _ in $(seq 60); do
  curl -fsS "http://127.0.0.1:$port/api/rooms" | grep -q '"state":"connected"' \
    && curl -fsS "http://127.0.0.1:$port/api/videos" | grep -q '"state":"reading"' && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/api/rooms" | grep -q '"state":"connected"' || fail "no live room is connected over push"
curl -fsS "http://127.0.0.1:$port/api/videos" | grep -q '"state":"reading"' || fail "the demo video is not being read"
# The video's danmaku, read back from their own topic (SPEC §4: key = cid, the pool's p under raw), and its metadata.
for _ in $(seq 1 6); do
  java -cp "$jar" scripts/ReadTopic.java "$bootstrap" danmaku-video 10 >"$work/video.txt" 2>"$work/read-video.log" && break
  kill -0 "$relay" 2>/dev/null || fail "the relay exited"
done
[ -s "$work/video.txt" ] || fail "no records in topic danmaku-video ($(tail -n 1 "$work/read-video.log"))"
head -n 1 "$work/video.txt" | grep -qE '^key=[0-9]+ source=video-(pool|history) schema=1 \{"cid":[0-9]+,"aid":[0-9]+,' \
  || fail "video records do not look like SPEC §4's: $(head -c 300 "$work/video.txt")"
grep -q '"raw":"' "$work/video.txt" || fail "video records lack the raw p"
java -cp "$jar" scripts/ReadTopic.java "$bootstrap" danmaku-video-meta 10 >"$work/video-meta.txt" 2>/dev/null \
  || fail "no record in topic danmaku-video-meta"
echo "smoke-demo: read $(wc -l <"$work/video.txt") video danmaku and $(wc -l <"$work/video-meta.txt") metadata records back from Kafka"
echo "smoke-demo: read $(wc -l <"$work/records.txt") danmaku records back from Kafka"
curl -fsS "http://127.0.0.1:$port/" | grep -q '<title>' || fail "the dashboard does not load"

scripts/prometheus-smoke.sh "http://127.0.0.1:$port"

kill -TERM "$relay"
for _ in $(seq 1 60); do kill -0 "$relay" 2>/dev/null || break; sleep 1; done
kill -0 "$relay" 2>/dev/null && fail "the relay did not stop within 60 s of SIGTERM"
grep -q "relay stopped" "$work/relay.log" || fail "the relay did not shut down cleanly"
trap - EXIT
echo "smoke-demo: OK"
