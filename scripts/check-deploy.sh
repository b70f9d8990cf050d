#!/usr/bin/env bash
# Validates the Docker deployment (docker/**) without a Docker engine, with the tools that own each format:
# docker-compose config (the compose file, then its resolved form cross-checked with yq), promtool (the
# Prometheus config, the alert rules and their unit tests, and every dashboard query parsed as PromQL),
# jq (the Grafana dashboard and conf/config.json) and the Dockerfile's instructions and paths.
# That the dashboard and the alerts query only metrics the relay exports is proved against a live relay by
# DeploymentMetricsIntegrationTest (mvn verify).
#
# Usage: scripts/check-deploy.sh [--build]
#   --build  also runs the Dockerfile's build stage here (Maven offline, on a copy holding only
#            the files the Dockerfile copies) to prove those files are enough to build the jar.
# Needs the Debian packages docker-compose, prometheus (promtool), jq and yq; installs them when missing
# and running as root. Exits non-zero if any check fails.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

COMPOSE_FILE=docker/docker-compose.yml
DOCKERFILE=docker/Dockerfile
PROM_CONFIG=docker/prometheus/prometheus.yml
PROM_RULES=docker/prometheus/alerts.yml
PROM_RULE_TESTS=docker/prometheus/alerts.test.yml
DASHBOARD=docker/grafana/dashboards/danmaku-relay.json
GRAFANA_DATASOURCES=docker/grafana/provisioning/datasources/prometheus.yml
GRAFANA_DASHBOARD_PROVIDERS=docker/grafana/provisioning/dashboards/dashboards.yml

FAILURES=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; FAILURES=$((FAILURES + 1)); }
# check "what" COMMAND...: passes when COMMAND succeeds, else fails with its output.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$what"; else fail "$what: $out"; fi
}
# expect_none "what" COMMAND...: a jq or yq query that prints one line per problem; passes when it prints nothing.
expect_none() {
  local what=$1 out
  shift
  if ! out=$("$@" 2>&1); then
    fail "$what: $1 failed: $out"
  elif [ -n "$out" ]; then
    fail "$what: $out"
  else
    pass "$what"
  fi
}

install_packages() {
  local missing=()
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  command -v yq >/dev/null 2>&1 || missing+=(yq)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "check-deploy: missing Debian packages: ${missing[*]} (run as root or: apt-get install -y ${missing[*]})" >&2
    exit 2
  fi
  echo "check-deploy: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
  if ! apt-get install "${apt_opts[@]}" "${missing[@]}" >/tmp/check-deploy-apt.log 2>&1; then
    apt-get update -q >>/tmp/check-deploy-apt.log 2>&1
    if ! apt-get install "${apt_opts[@]}" "${missing[@]}" >>/tmp/check-deploy-apt.log 2>&1; then
      tail -20 /tmp/check-deploy-apt.log >&2
      echo "check-deploy: could not install ${missing[*]} (log: /tmp/check-deploy-apt.log)" >&2
      exit 2
    fi
  fi
}

check_compose() {
  check "docker-compose (v1) accepts $COMPOSE_FILE" docker-compose -f "$COMPOSE_FILE" config -q
  if docker compose version >/dev/null 2>&1; then
    check "docker compose (v2) accepts $COMPOSE_FILE" docker compose -f "$COMPOSE_FILE" config -q
  fi
  local resolved=$WORK_DIR/compose.yml
  if ! docker-compose -f "$COMPOSE_FILE" config >"$resolved" 2>/dev/null; then
    fail "compose cross-checks: docker-compose could not resolve $COMPOSE_FILE"
    return
  fi
  expect_none "compose has the services kafka, relay, relay-2, relay-3, prometheus and grafana" yq -r \
    '["kafka","relay","relay-2","relay-3","prometheus","grafana"] - (.services | keys) | .[] | "service \(.) is missing"' \
    "$resolved"
  # The relays: every service that runs the relay's image.
  local relays
  relays=$(yq -c --arg image "$(yq -r '.services.relay.image' "$resolved")" \
    '[.services | to_entries[] | select(.value.image == $image) | .key]' "$resolved")
  expect_none "every built service builds from the repository root" yq -r --arg root "$ROOT" \
    '.services | to_entries[] | select(.value.build and .value.build.context != $root)
      | "service \(.key) builds from \(.value.build.context), not \($root)"' "$resolved"
  while read -r service dockerfile; do
    [ -f "$dockerfile" ] || fail "$COMPOSE_FILE: service $service builds $dockerfile, which does not exist"
  done < <(yq -r --arg root "$ROOT" '.services | to_entries[] | select(.value.build.context == $root)
    | "\(.key) \(.value.build.context)/\(.value.build.dockerfile // "Dockerfile")"' "$resolved")
  while read -r service src; do
    [ -e "$src" ] || fail "$COMPOSE_FILE: service $service mounts $src, which does not exist"
  done < <(yq -r '.services | to_entries[] | .key as $s | (.value.volumes // [])[]
    | (if type == "string" then split(":")[0] else .source end) | select(startswith("/")) | "\($s) \(.)"' "$resolved")

  # SPEC section 3: DANMAKU_ + the key path of conf/config.json upper-cased, dots and camel humps to
  # underscores; the free-form maps (headers, producer) also take sub-keys.
  local config_vars map_prefixes
  config_vars=$(jq -r 'paths | map(tostring | gsub("(?<a>[a-z0-9])(?<b>[A-Z])"; "\(.a)_\(.b)") | ascii_upcase)
    | "DANMAKU_" + join("_")' conf/config.json)
  map_prefixes=$(jq -r 'paths(objects) | select(.[-1] == "headers" or .[-1] == "producer")
    | map(gsub("(?<a>[a-z0-9])(?<b>[A-Z])"; "\(.a)_\(.b)") | ascii_upcase) | "DANMAKU_" + join("_") + "_"' \
    conf/config.json)
  local var prefix known bad_vars=0
  while read -r var; do
    [ -z "$var" ] || [ "$var" = JAVA_TOOL_OPTIONS ] && continue
    known=false
    grep -qx -- "$var" <<<"$config_vars" && known=true
    for prefix in $map_prefixes; do [[ $var == "$prefix"* ]] && known=true; done
    $known || { fail "$COMPOSE_FILE: relay variable $var names no key of conf/config.json"; bad_vars=1; }
  done < <(yq -r --argjson relays "$relays" '[.services[$relays[]].environment // {} | keys[]] | unique[]' "$resolved")
  [ $bad_vars -eq 0 ] && pass "every variable of the relays in $COMPOSE_FILE names a key of conf/config.json"

  expect_none "each relay listens beyond loopback, bootstraps from an advertised listener and waits for a healthy kafka" \
    yq -r --argjson relays "$relays" '.services as $s | $relays[] as $r | $s[$r].environment as $env
      | (if $env.DANMAKU_HTTP_HOST != "0.0.0.0" then "\($r) must set DANMAKU_HTTP_HOST=0.0.0.0 to be reachable" else empty end),
        (($env.DANMAKU_KAFKA_BOOTSTRAP_SERVERS // "" | split(",")[0]) as $b
          | if $b == "" then "\($r) has no DANMAKU_KAFKA_BOOTSTRAP_SERVERS: a cluster shares one Kafka"
            elif (($s.kafka.environment.KAFKA_ADVERTISED_LISTENERS // "") | contains($b) | not)
            then "\($r) bootstraps from \($b), which kafka does not advertise" else empty end),
        (if $s[$r].depends_on.kafka.condition != "service_healthy" or ($s.kafka.healthcheck == null)
          then "\($r) should wait for a healthy kafka (healthcheck + condition)" else empty end)' "$resolved"
  # SPEC section 8: one group, the same rooms, Kafka shared; each relay its own instance id and host port.
  expect_none "the relays ($(yq -r --argjson r "$relays" -n '$r | join(", ")')) form one cluster: enabled, one group, the same rooms and Kafka, their own ids and ports" \
    yq -r --argjson relays "$relays" '.services as $s | [$relays[] | {name: ., env: $s[.].environment,
        ports: [($s[.].ports // [])[] | (if type == "string" then . else "\(.host_ip // ""):\(.published)" end)]}] as $rs
      | (if ($rs | length) < 3 then "expected three relays, found \($rs | length)" else empty end),
        ($rs[] | select((.env.DANMAKU_CLUSTER_ENABLED // "false" | tostring) != "true")
          | "\(.name) does not set DANMAKU_CLUSTER_ENABLED=true"),
        ($rs[] | select((.env.DANMAKU_CLUSTER_INSTANCE_ID // "") == "") | "\(.name) has no DANMAKU_CLUSTER_INSTANCE_ID"),
        (if ($rs | map(.env.DANMAKU_CLUSTER_INSTANCE_ID) | unique | length) != ($rs | length)
          then "the relays share an instance id" else empty end),
        (["DANMAKU_CLUSTER_GROUP", "DANMAKU_ROOMS", "DANMAKU_KAFKA_BOOTSTRAP_SERVERS", "DANMAKU_KAFKA_TOPIC",
          "DANMAKU_KAFKA_STATE_TOPIC", "DANMAKU_CLUSTER_PARTITIONS"][] as $k
          | select(($rs | map(.env[$k]) | unique | length) > 1) | "the relays differ in \($k)"),
        (($rs | map(.ports[]) | map(sub("/tcp$"; "") | split(":") | .[0:-1] | join(":"))) as $published
          | if ($published | unique | length) != ($published | length) then "two relays publish the same host port: \($published)"
            else empty end)' "$resolved"
  expect_none "Prometheus scrapes every relay at :8080" yq -r --argjson relays "$relays" \
    '[.scrape_configs[].static_configs[]?.targets[]?] as $t | $relays[] | "\(.):8080" as $want
      | select($t | index($want) | not) | "no scrape target \($want)"' "$PROM_CONFIG"

  # Grafana: the dashboard provider's path is where compose mounts docker/grafana/dashboards, and every
  # datasource URL names a compose service.
  local mounted provider_path host before=$FAILURES
  mounted=$(yq -r --arg dir "$ROOT/$(dirname "$DASHBOARD")" '.services.grafana.volumes[]
    | select(type == "string") | split(":") | select(.[0] == $dir) | .[1]' "$resolved")
  while read -r provider_path; do
    [ -n "$mounted" ] && grep -qx -- "$provider_path" <<<"$mounted" \
      || fail "$GRAFANA_DASHBOARD_PROVIDERS: provider path $provider_path is not where compose mounts $(dirname "$DASHBOARD")"
  done < <(yq -r '.providers[].options.path' "$GRAFANA_DASHBOARD_PROVIDERS")
  while read -r host; do
    yq -e --arg h "$host" '.services | has($h)' "$resolved" >/dev/null \
      || fail "$GRAFANA_DATASOURCES: datasource host $host names no compose service"
  done < <(yq -r '.datasources[].url | sub("^[a-z]+://"; "") | split("/")[0] | split(":")[0]' "$GRAFANA_DATASOURCES")
  [ "$FAILURES" -eq "$before" ] && pass "Grafana provisioning agrees with the compose mounts and services"
}

check_prometheus() {
  check "promtool check config $PROM_CONFIG" promtool check config "$PROM_CONFIG"
  check "promtool check rules $PROM_RULES" promtool check rules "$PROM_RULES"
  check "promtool test rules $PROM_RULE_TESTS" promtool test rules "$PROM_RULE_TESTS"
}

check_dashboard() {
  check "$DASHBOARD is valid JSON" jq empty "$DASHBOARD"
  local uids
  uids=$(yq -c '[.datasources[] | select(.type == "prometheus") | .uid]' "$GRAFANA_DATASOURCES")
  expect_none "Grafana datasource provisioned with a fixed uid" jq -r \
    --argjson uids "$uids" 'if ($uids | length) == 0 or ($uids | index(null)) then "needs a prometheus datasource with a fixed uid" else empty end' \
    "$DASHBOARD"
  # Panels (rows' nested panels included): unique ids, a sane grid position, a query each, known datasources.
  expect_none "$DASHBOARD: panels have unique ids, grid positions, queries and provisioned datasources" jq -r \
    --argjson uids "$uids" '
    (["uid", "title", "schemaVersion", "panels"] - keys | .[] | "missing top-level \(.)"),
    (if (.schemaVersion | type) != "number" or .schemaVersion < 36 then "schemaVersion should be a recent integer" else empty end),
    ([.panels[] | ., (.panels // [])[]] as $panels
      | ($panels | map(.id)) as $ids
      | (if ($ids | index(null)) or ($ids | unique | length) != ($ids | length) then "panel ids must be present and unique" else empty end),
        ($panels[] | .title as $t
          | (.gridPos as $g | if ([$g.x, $g.y, $g.w, $g.h] | all(type == "number")) and ($g.x + $g.w <= 24) then empty
             else "panel \($t) has a bad gridPos \($g)" end),
            (select(.type != "row")
              | (if (.targets // []) == [] then "panel \($t) has no query" else empty end),
                ((.targets // [])[] | select((.expr // "") | test("^\\s*$")) | "panel \($t) has an empty expression"),
                ([.datasource, (.targets // [])[].datasource] | map(select(. != null) | .uid) | unique - $uids | .[]
                  | "panel \($t) uses datasource uid \(.), provisioned are \($uids)"))))' "$DASHBOARD"
  # Every query as a recording rule (Grafana variables replaced), so that promtool parses the PromQL.
  local rules=$WORK_DIR/dashboard-rules.json
  if jq '{groups: [{name: "dashboard", rules: [[.panels[] | ., (.panels // [])[]] | .[].targets // [] | .[].expr
      | select(. != null) | gsub("\\$\\{?__\\w+\\}?"; "1m") | gsub("\\$\\{?\\w+\\}?"; ".*")]
      | to_entries | map({record: "dashboard:expr_\(.key)", expr: .value})}]}' "$DASHBOARD" >"$rules"; then
    check "promtool parses every dashboard query ($(jq '.groups[0].rules | length' "$rules"))" promtool check rules "$rules"
  fi
}

# The Dockerfile's instructions, one a line (continuations joined, comments dropped).
dockerfile_instructions() {
  awk '/^[[:space:]]*#/ { next } { line = line $0 } /\\$/ { sub(/\\$/, " ", line); next }
       { if (line ~ /[^[:space:]]/) print line; line = "" }' "$DOCKERFILE"
}

check_dockerfile() {
  local instructions stages final src ok_before=$FAILURES
  instructions=$(dockerfile_instructions)
  local unknown
  unknown=$(awk '{ print toupper($1) }' <<<"$instructions" | grep -vxE \
    'FROM|RUN|CMD|LABEL|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG|ONBUILD|STOPSIGNAL|HEALTHCHECK|SHELL')
  [ -z "$unknown" ] || fail "$DOCKERFILE: unknown instructions: $(tr '\n' ' ' <<<"$unknown")"
  stages=$(grep -ciE '^FROM ' <<<"$instructions")
  [ "$stages" -ge 2 ] || fail "$DOCKERFILE: expected a multi-stage build (build stage + runtime stage)"
  while read -r image; do
    [[ ${image##*/} == *:* ]] || fail "$DOCKERFILE: FROM $image has no tag"
  done < <(grep -iE '^FROM ' <<<"$instructions" | awk '{ for (i = 2; i <= NF; i++) if ($i !~ /^--/) { print $i; break } }')
  # COPY sources from the build context (not --from a stage) exist and are not excluded by .dockerignore.
  while read -r src; do
    if [ ! -e "$src" ]; then
      fail "$DOCKERFILE: COPY source $src does not exist in the build context (repository root)"
    elif [ -f .dockerignore ] && grep -qxE "${src%/}/?" .dockerignore; then
      fail "$DOCKERFILE: COPY source $src is excluded by .dockerignore"
    fi
  done < <(grep -iE '^(COPY|ADD) ' <<<"$instructions" | grep -v -- '--from=' \
    | awk '{ n = 0; for (i = 2; i <= NF; i++) if ($i !~ /^--/) a[++n] = $i; for (i = 1; i < n; i++) print a[i] }')
  final=$(awk 'toupper($1) == "FROM" { stage = "" } { stage = stage $0 "\n" } END { printf "%s", stage }' <<<"$instructions")
  local needed
  for needed in HEALTHCHECK EXPOSE ENTRYPOINT; do
    grep -qiE "^$needed " <<<"$final" || fail "$DOCKERFILE: the runtime stage has no $needed"
  done
  local user
  user=$(grep -iE '^USER ' <<<"$final" | tail -n 1 | awk '{ split($2, u, ":"); print u[1] }')
  case "$user" in ""|root|0) fail "$DOCKERFILE: the runtime stage must switch to a non-root USER" ;; esac
  grep -qiE '^COPY .*target/danmaku-relay\.jar' <<<"$final" && grep -q '<finalName>danmaku-relay</finalName>' pom.xml \
    || fail "$DOCKERFILE: the runtime stage must copy target/danmaku-relay.jar (pom finalName danmaku-relay)"
  [ "$FAILURES" -eq "$ok_before" ] \
    && pass "$DOCKERFILE: $(wc -l <<<"$instructions") instructions, $stages stages, COPY sources present, non-root USER $user"
}

# Replays the Dockerfile's build stage: a copy with only what it COPYs, then mvn package.
check_build_stage() {
  local dir out srcs
  dir=$(mktemp -d)
  srcs=$(dockerfile_instructions | awk 'toupper($1) == "FROM" { n++ } n == 1 && toupper($1) == "COPY" && !/--from=/ {
    for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }')
  for s in $srcs; do
    cp -r "$s" "$dir/" || { fail "build stage: cannot copy $s"; rm -rf "$dir"; return; }
  done
  if out=$(cd "$dir" && mvn -B -o -q -DskipTests package 2>&1) && [ -f "$dir/target/danmaku-relay.jar" ]; then
    if ! unzip -l "$dir/target/danmaku-relay.jar" conf/config.json >/dev/null 2>&1; then
      fail "build stage: target/danmaku-relay.jar lacks conf/config.json (the defaults): is conf/ copied?"
    elif unzip -p "$dir/target/danmaku-relay.jar" META-INF/MANIFEST.MF | grep -q '^Main-Class:'; then
      pass "build stage: mvn package on {${srcs//$'\n'/,}} makes target/danmaku-relay.jar with a Main-Class"
    else
      fail "build stage: target/danmaku-relay.jar has no Main-Class in its manifest"
    fi
  else
    fail "build stage: mvn -DskipTests package with only {${srcs//$'\n'/,}} failed: $(echo "$out" | tail -20)"
  fi
  rm -rf "$dir"
}

main() {
  local build=false
  for arg in "$@"; do
    case "$arg" in
      --build) build=true ;;
      -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
      *) echo "check-deploy: unknown argument $arg" >&2; exit 2 ;;
    esac
  done
  install_packages
  WORK_DIR=$(mktemp -d)
  trap 'rm -rf "$WORK_DIR"' EXIT

  check_compose
  check_prometheus
  check_dashboard
  check_dockerfile
  $build && check_build_stage

  if [ "$FAILURES" -ne 0 ]; then
    echo "check-deploy: $FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "check-deploy: all checks passed"
}

main "$@"
