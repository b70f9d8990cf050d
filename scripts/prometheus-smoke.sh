#!/usr/bin/env bash
# Proves a running relay's /metrics is usable by a real Prometheus: lints the exposition with
# promtool, then starts a throw-away Prometheus server (loopback, temporary storage) scraping the
# relay every second, and waits until danmaku_polls_total can be queried through its HTTP API.
#
# Usage: scripts/prometheus-smoke.sh [RELAY_URL]     (default http://127.0.0.1:8080)
# Environment: SMOKE_TIMEOUT_S bounds each wait (default 30).
# Needs the Debian packages prometheus (prometheus + promtool), curl and python3; installs them
# when missing and running as root. Exits 0 when the query returns data, non-zero otherwise.
set -uo pipefail

RELAY_URL="${1:-http://127.0.0.1:8080}"
RELAY_URL="${RELAY_URL%/}"
TIMEOUT_S="${SMOKE_TIMEOUT_S:-30}"
QUERY=danmaku_polls_total

die() { echo "prometheus-smoke: FAIL: $*" >&2; exit 1; }
say() { echo "prometheus-smoke: $*"; }

install_packages() {
  local missing=()
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root or: apt-get install -y ${missing[*]})"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
  apt-get install "${apt_opts[@]}" "${missing[@]}" >/tmp/prometheus-smoke-apt.log 2>&1 \
    || { apt-get update -q >>/tmp/prometheus-smoke-apt.log 2>&1 \
         && apt-get install "${apt_opts[@]}" "${missing[@]}" >>/tmp/prometheus-smoke-apt.log 2>&1; } \
    || die "could not install ${missing[*]} (log: /tmp/prometheus-smoke-apt.log)"
}

WORK_DIR=""
PROM_PID=""
cleanup() {
  if [ -n "$PROM_PID" ] && kill -0 "$PROM_PID" 2>/dev/null; then
    kill -TERM "$PROM_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$PROM_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$PROM_PID" 2>/dev/null
    wait "$PROM_PID" 2>/dev/null
  fi
  [ -n "$WORK_DIR" ] && rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# 1. The exposition itself: promtool must find nothing in the whole of it, library metrics included.
lint_metrics() {
  local out rc
  local content_type
  content_type=$(curl -fsS --max-time 10 "$RELAY_URL/metrics" -o "$WORK_DIR/metrics" -w '%{content_type}') \
    || die "cannot fetch $RELAY_URL/metrics (is the relay running and its http.host reachable?)"
  [ -s "$WORK_DIR/metrics" ] || die "$RELAY_URL/metrics answered an empty body"
  # Prometheus 3 (the compose image) refuses a scrape whose Content-Type is missing or foreign.
  case "$content_type" in
    text/plain*|application/openmetrics-text*) say "Content-Type: $content_type" ;;
    *) die "$RELAY_URL/metrics has Content-Type '${content_type}'; Prometheus 3 needs text/plain; version=0.0.4 (or OpenMetrics)" ;;
  esac
  out=$(promtool check metrics < "$WORK_DIR/metrics" 2>&1); rc=$?
  case "$rc" in
    0) [ -z "$out" ] || die "promtool check metrics passed but said: $out"
       say "promtool check metrics: no problems in $(grep -cv '^#' "$WORK_DIR/metrics") samples" ;;
    3) die "promtool check metrics found problems in $RELAY_URL/metrics:
$out" ;;
    *) die "promtool check metrics cannot parse $RELAY_URL/metrics: $out" ;;
  esac
}

# 2. A real Prometheus scraping the relay every second.
start_prometheus() {
  local scheme=${RELAY_URL%%://*} rest=${RELAY_URL#*://}
  local target=${rest%%/*} prefix=""
  [ "$rest" != "$target" ] && prefix="/${rest#*/}"
  PROM_PORT=$(free_port) || die "cannot find a free loopback port"
  cat > "$WORK_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: danmaku-relay
    scheme: $scheme
    metrics_path: $prefix/metrics
    static_configs:
      - targets: ["$target"]
EOF
  promtool check config "$WORK_DIR/prometheus.yml" >/dev/null 2>&1 \
    || die "generated Prometheus config is invalid: $(promtool check config "$WORK_DIR/prometheus.yml" 2>&1)"
  prometheus \
    --config.file="$WORK_DIR/prometheus.yml" \
    --storage.tsdb.path="$WORK_DIR/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" \
    --log.level=warn \
    >"$WORK_DIR/prometheus.log" 2>&1 &
  PROM_PID=$!
  say "Prometheus (pid $PROM_PID) on 127.0.0.1:$PROM_PORT scraping $scheme://$target$prefix/metrics every 1s"
}

# Repeats "$@" every 0.5 s until it succeeds, Prometheus dies or TIMEOUT_S passes.
await() {
  local what=$1; shift
  local deadline=$((SECONDS + TIMEOUT_S))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$PROM_PID" 2>/dev/null || die "Prometheus exited while waiting for $what:
$(tail -20 "$WORK_DIR/prometheus.log")"
    "$@" && return 0
    sleep 0.5
  done
  return 1
}

prometheus_ready() {
  curl -fsS --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1
}

# Succeeds once the query returns at least one series; leaves the readable result in query.txt.
query_has_data() {
  curl -fsS --max-time 2 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" \
      --data-urlencode "query=$QUERY" -o "$WORK_DIR/query.json" 2>/dev/null || return 1
  python3 - "$WORK_DIR/query.json" > "$WORK_DIR/query.txt" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
result = body.get("data", {}).get("result", []) if body.get("status") == "success" else []
for series in result:
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(series["metric"].items()) if k != "__name__")
    print(f'{series["metric"].get("__name__", "")}{{{labels}}} = {series["value"][1]}')
sys.exit(0 if result else 1)
EOF
}

target_health() {
  curl -fsS --max-time 2 "http://127.0.0.1:$PROM_PORT/api/v1/targets" 2>/dev/null \
    | python3 -c 'import json,sys; [print(t["scrapeUrl"], t["health"], t.get("lastError", "")) for t in json.load(sys.stdin)["data"]["activeTargets"]]' 2>/dev/null
}

main() {
  case "${1:-}" in -h|--help) sed -n '2,9p' "$0"; exit 0 ;; esac
  install_packages
  WORK_DIR=$(mktemp -d) || die "cannot create a temporary directory"
  lint_metrics
  start_prometheus
  await "readiness" prometheus_ready || die "Prometheus not ready within ${TIMEOUT_S}s:
$(tail -20 "$WORK_DIR/prometheus.log")"
  say "Prometheus ready"
  if ! await "$QUERY" query_has_data; then
    die "no $QUERY in Prometheus after ${TIMEOUT_S}s; scrape target: $(target_health)"
  fi
  say "query $QUERY through Prometheus returned:"
  sed 's/^/  /' "$WORK_DIR/query.txt"
  say "OK"
}

main "$@"
