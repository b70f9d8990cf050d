#!/usr/bin/env bash
# Validates the Docker deployment (docker/**) without a Docker engine: the compose file, the
# Prometheus config and alert rules (with their unit tests), the Grafana provisioning and
# dashboard (JSON, PromQL syntax, metric names the relay exports) and the Dockerfile's paths.
#
# Usage: scripts/check-deploy.sh [--build]
#   --build  also runs the Dockerfile's build stage here (Maven offline, on a copy holding only
#            the files the Dockerfile copies) to prove those files are enough to build the jar.
# Needs the Debian packages docker-compose, prometheus (promtool) and python3-yaml; installs
# them when missing and running as root. Exits non-zero if any check fails.
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

# Metric names the relay exports: SPEC section 6, plus the publish delay and risk control
# gauges. Histograms also export _bucket, _sum, _count (and Micrometer's _max).
RELAY_METRICS=(
  danmaku_polls_total
  danmaku_poll_duration_seconds
  danmaku_messages_published_total
  danmaku_duplicates_dropped_total
  danmaku_gaps_total
  danmaku_rooms
  danmaku_kafka_buffered_messages
  danmaku_ws_connections
  danmaku_ws_messages_sent_total
  danmaku_publish_delay_seconds
  danmaku_risk_control_active
)
RELAY_HISTOGRAMS=(danmaku_poll_duration_seconds danmaku_publish_delay_seconds)
# Families exported by Micrometer's JVM binders and Vert.x metrics, accepted by prefix.
RELAY_METRIC_PREFIXES=(jvm_ vertx_)

# Debian's interpreter: the pyenv one on PATH may lack the yaml module that python3-yaml provides.
PY=/usr/bin/python3

FAILURES=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; FAILURES=$((FAILURES + 1)); }

install_packages() {
  local missing=()
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  { [ -x "$PY" ] && "$PY" -c 'import yaml' >/dev/null 2>&1; } || missing+=(python3 python3-yaml)
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
  local out
  if out=$(docker-compose -f "$COMPOSE_FILE" config -q 2>&1); then
    pass "docker-compose (v1) accepts $COMPOSE_FILE"
  else
    fail "docker-compose -f $COMPOSE_FILE config -q: $out"
    return
  fi
  # The compose v2 plugin, where installed, must accept the same file.
  if docker compose version >/dev/null 2>&1; then
    if out=$(docker compose -f "$COMPOSE_FILE" config -q 2>&1); then
      pass "docker compose (v2) accepts $COMPOSE_FILE"
    else
      fail "docker compose -f $COMPOSE_FILE config -q: $out"
    fi
  fi
}

check_prometheus() {
  local out
  if out=$(promtool check config "$PROM_CONFIG" 2>&1); then
    pass "promtool check config $PROM_CONFIG"
  else
    fail "promtool check config $PROM_CONFIG: $out"
  fi
  if out=$(promtool check rules "$PROM_RULES" 2>&1); then
    pass "promtool check rules $PROM_RULES"
  else
    fail "promtool check rules $PROM_RULES: $out"
  fi
  if out=$(promtool test rules "$PROM_RULE_TESTS" 2>&1); then
    pass "promtool test rules $PROM_RULE_TESTS"
  else
    fail "promtool test rules $PROM_RULE_TESTS: $out"
  fi
}

# Structural checks in Python: compose references, Grafana provisioning, dashboard JSON and the
# metric names of every PromQL expression, Dockerfile instructions and paths. Prints one line per
# check; writes the dashboard's expressions as recording rules to $1 for promtool to parse.
check_structure() {
  local rules_out=$1 compose_resolved
  if ! compose_resolved=$(docker-compose -f "$COMPOSE_FILE" config 2>/dev/null); then
    compose_resolved=""
  fi
  COMPOSE_RESOLVED="$compose_resolved" COMPOSE_FILE="$COMPOSE_FILE" DOCKERFILE="$DOCKERFILE" \
  PROM_CONFIG="$PROM_CONFIG" PROM_RULES="$PROM_RULES" DASHBOARD="$DASHBOARD" \
  GRAFANA_DATASOURCES="$GRAFANA_DATASOURCES" GRAFANA_DASHBOARD_PROVIDERS="$GRAFANA_DASHBOARD_PROVIDERS" \
  RELAY_METRICS="${RELAY_METRICS[*]}" RELAY_HISTOGRAMS="${RELAY_HISTOGRAMS[*]}" \
  RELAY_METRIC_PREFIXES="${RELAY_METRIC_PREFIXES[*]}" \
  "$PY" - "$rules_out" <<'PYEOF'
import fnmatch, json, os, re, sys
import yaml

rules_out = sys.argv[1]
failures = 0

def ok(msg):
    print(f"ok    {msg}")

def bad(msg):
    global failures
    failures += 1
    print(f"FAIL  {msg}", file=sys.stderr)

def load_yaml(path):
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        bad(f"{path}: cannot be read as YAML: {e}")
        return None

# ---- metric names -------------------------------------------------------------------------
exact = set(os.environ["RELAY_METRICS"].split())
for h in os.environ["RELAY_HISTOGRAMS"].split():
    exact.update(h + s for s in ("_bucket", "_sum", "_count", "_max"))
prefixes = tuple(os.environ["RELAY_METRIC_PREFIXES"].split())

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "bool", "offset", "inf", "nan", "atan2"}
LABEL_LISTS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")

def metric_names(expr):
    """Metric names in a PromQL expression: identifiers that are not functions, keywords or labels."""
    e = re.sub(r"\$\{?\w+\}?", "x", expr)            # Grafana variables
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', e)
    e = re.sub(r"\{[^}]*\}", "", e)                   # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                  # ranges and subqueries
    e = LABEL_LISTS.sub(" ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        ident, call = m.group(1), m.group(2)
        if call or ident.lower() in KEYWORDS:
            continue
        names.add(ident)
    return names

def exported(name, extra=()):
    return name in exact or name.startswith(prefixes) or name in extra

# ---- dashboard ----------------------------------------------------------------------------
DASHBOARD = os.environ["DASHBOARD"]
dash = None
try:
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    ok(f"{DASHBOARD} is valid JSON")
except (OSError, ValueError) as e:
    bad(f"{DASHBOARD} is not valid JSON: {e}")

datasources = load_yaml(os.environ["GRAFANA_DATASOURCES"]) or {}
ds_uids = {d.get("uid") for d in datasources.get("datasources", []) if d.get("type") == "prometheus"}
if ds_uids and None not in ds_uids:
    ok(f"Grafana datasource provisioned with uid {sorted(ds_uids)}")
else:
    bad(f"{os.environ['GRAFANA_DATASOURCES']}: needs a prometheus datasource with a fixed uid")

exprs = []
if isinstance(dash, dict):
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in dash:
            bad(f"{DASHBOARD}: missing top-level '{key}'")
    if not isinstance(dash.get("schemaVersion"), int) or dash.get("schemaVersion", 0) < 36:
        bad(f"{DASHBOARD}: schemaVersion should be a recent integer (got {dash.get('schemaVersion')!r})")
    panels = []
    for p in dash.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or None in ids:
        bad(f"{DASHBOARD}: panel ids must be present and unique")
    for p in panels:
        title = p.get("title", "?")
        gp = p.get("gridPos", {})
        if not all(isinstance(gp.get(k), int) for k in ("x", "y", "w", "h")) or gp.get("x", 0) + gp.get("w", 0) > 24:
            bad(f"{DASHBOARD}: panel '{title}' has a bad gridPos {gp}")
        if p.get("type") == "row":
            continue
        targets = p.get("targets", [])
        if not targets:
            bad(f"{DASHBOARD}: panel '{title}' has no query")
        used = {ds.get("uid") for ds in [p.get("datasource")] + [t.get("datasource") for t in targets] if ds}
        for uid in sorted(used - ds_uids, key=str):
            bad(f"{DASHBOARD}: panel '{title}' uses datasource uid {uid!r}, provisioned are {sorted(ds_uids)}")
        for t in targets:
            expr = t.get("expr", "")
            if not expr.strip():
                bad(f"{DASHBOARD}: panel '{title}' has an empty expression")
                continue
            exprs.append((title, expr))
    for var in dash.get("templating", {}).get("list", []):
        q = var.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.match(r"\s*label_values\(\s*([a-zA-Z_:][\w:]*)\s*,", q)
        if m:
            exprs.append((f"variable ${var.get('name')}", m.group(1)))
    unknown = sorted({(t, n) for t, e in exprs for n in metric_names(e) if not exported(n)})
    for t, n in unknown:
        bad(f"{DASHBOARD}: panel '{t}' queries '{n}', which the relay does not export")
    if exprs and not unknown:
        ok(f"{DASHBOARD}: {len(exprs)} queries, all on metrics the relay exports")

# Every dashboard expression as a recording rule, so promtool parses the PromQL.
with open(rules_out, "w", encoding="utf-8") as f:
    rules = [{"record": f"dashboard:expr_{i}",
              "expr": re.sub(r"\$\{?__\w+\}?", "1m", re.sub(r"\$\{?instance\}?", ".*", e))}
             for i, (_, e) in enumerate(exprs)]
    yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, sort_keys=False)

# ---- alert rules use exported metrics ------------------------------------------------------
alerts = load_yaml(os.environ["PROM_RULES"]) or {}
alert_unknown = []
for g in alerts.get("groups", []):
    for r in g.get("rules", []):
        for n in metric_names(str(r.get("expr", ""))):
            if not exported(n, extra=("up",)):
                alert_unknown.append((r.get("alert") or r.get("record"), n))
for a, n in alert_unknown:
    bad(f"{os.environ['PROM_RULES']}: rule {a} uses '{n}', which the relay does not export")
if alerts and not alert_unknown:
    ok(f"{os.environ['PROM_RULES']}: every rule uses metrics the relay exports")

# ---- compose references --------------------------------------------------------------------
COMPOSE = os.environ["COMPOSE_FILE"]
compose = yaml.safe_load(os.environ.get("COMPOSE_RESOLVED") or "null") or {}
services = compose.get("services", {})
failures_before_compose = failures
if not services:
    print(f"skip  compose cross-checks: docker-compose could not resolve {os.environ['COMPOSE_FILE']}", file=sys.stderr)
else:
    for name in ("kafka", "relay", "prometheus", "grafana"):
        if name not in services:
            bad(f"{COMPOSE}: service '{name}' is missing")
    for name, svc in services.items():
        build = svc.get("build")
        if isinstance(build, dict):
            ctx = build.get("context", "")
            df = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
            if os.path.realpath(ctx) != os.path.realpath("."):
                bad(f"{COMPOSE}: service {name} builds from {ctx}, not the repository root")
            elif not os.path.isfile(df):
                bad(f"{COMPOSE}: service {name} builds {df}, which does not exist")
            else:
                ok(f"service {name} builds {os.path.relpath(df)} from the repository root")
        for v in svc.get("volumes", []):
            src = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
            if src.startswith("/") and not os.path.exists(src):
                bad(f"{COMPOSE}: service {name} mounts {src}, which does not exist")
    # SPEC section 3: DANMAKU_ + the key path of conf/config.json upper-cased, dots (and the
    # word breaks of camelCase) to underscores. Free-form maps also take sub-keys.
    def env_name(path):
        return "DANMAKU_" + "_".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", part).upper() for part in path)
    config_vars, map_prefixes = set(), set()
    def walk(node, path):
        if path:
            config_vars.add(env_name(path))
        if isinstance(node, dict):
            if path and path[-1] in ("headers", "producer"):
                map_prefixes.add(env_name(path) + "_")
            for k, v in node.items():
                walk(v, path + [k])
    with open("conf/config.json", encoding="utf-8") as f:
        walk(json.load(f), [])
    relay_env = services.get("relay", {}).get("environment", {}) or {}
    for key in relay_env:
        if key == "JAVA_TOOL_OPTIONS":
            continue
        if key not in config_vars and not key.startswith(tuple(map_prefixes)):
            bad(f"{COMPOSE}: relay variable {key} names no key of conf/config.json (DANMAKU_ + key path)")
    if relay_env.get("DANMAKU_HTTP_HOST") != "0.0.0.0":
        bad(f"{COMPOSE}: relay must set DANMAKU_HTTP_HOST=0.0.0.0 to be reachable by Prometheus")
    bootstrap = relay_env.get("DANMAKU_KAFKA_BOOTSTRAP_SERVERS", "")
    kafka_env = services.get("kafka", {}).get("environment", {}) or {}
    if bootstrap and bootstrap.split(",")[0] not in kafka_env.get("KAFKA_ADVERTISED_LISTENERS", ""):
        bad(f"{COMPOSE}: relay bootstraps from {bootstrap}, which kafka does not advertise")
    dep = (services.get("relay", {}).get("depends_on") or {}).get("kafka", {})
    if dep.get("condition") != "service_healthy" or "healthcheck" not in services.get("kafka", {}):
        bad(f"{COMPOSE}: relay should wait for a healthy kafka (healthcheck + condition)")

    # Prometheus scrapes the relay service; Grafana reads the prometheus service; provisioning paths match mounts.
    prom = load_yaml(os.environ["PROM_CONFIG"]) or {}
    targets = [t for sc in prom.get("scrape_configs", []) for s in sc.get("static_configs", []) for t in s.get("targets", [])]
    if "relay:8080" not in targets:
        bad(f"{os.environ['PROM_CONFIG']}: no scrape target relay:8080")
    grafana_mounts = {}
    for v in services.get("grafana", {}).get("volumes", []):
        if isinstance(v, str) and v.count(":") >= 1:
            parts = v.split(":")
            grafana_mounts[parts[1]] = parts[0]
    providers = load_yaml(os.environ["GRAFANA_DASHBOARD_PROVIDERS"]) or {}
    for p in providers.get("providers", []):
        path = (p.get("options") or {}).get("path", "")
        if os.path.realpath(grafana_mounts.get(path, "/nonexistent")) != os.path.realpath(os.path.dirname(DASHBOARD)):
            bad(f"{os.environ['GRAFANA_DASHBOARD_PROVIDERS']}: provider path {path} is not where compose mounts {os.path.dirname(DASHBOARD)}")
    for d in datasources.get("datasources", []):
        host = re.sub(r"^\w+://", "", d.get("url", "")).split(":")[0].split("/")[0]
        if host not in services:
            bad(f"{os.environ['GRAFANA_DATASOURCES']}: url {d.get('url')} names no compose service")
    if failures == failures_before_compose:
        ok("compose services, mounts, Prometheus target and Grafana provisioning agree")

# ---- Dockerfile ----------------------------------------------------------------------------
DOCKERFILE = os.environ["DOCKERFILE"]
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
                "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER"}
try:
    with open(DOCKERFILE, encoding="utf-8") as f:
        raw = f.read()
except OSError as e:
    bad(f"{DOCKERFILE}: {e}")
    raw = ""
lines, buf = [], ""
for line in raw.splitlines():
    if not buf and (not line.strip() or line.lstrip().startswith("#")):
        continue
    if buf and line.lstrip().startswith("#"):
        continue
    if line.rstrip().endswith("\\"):
        buf += line.rstrip()[:-1] + " "
        continue
    lines.append((buf + line).strip())
    buf = ""
if buf:
    bad(f"{DOCKERFILE}: ends inside a line continuation")
ignore = []
if os.path.exists(".dockerignore"):
    with open(".dockerignore", encoding="utf-8") as f:
        ignore = [l.strip() for l in f if l.strip() and not l.startswith("#")]
def ignored(path):
    hit = False
    for pat in ignore:
        neg = pat.startswith("!")
        pat = pat.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pat) or path.startswith(pat + "/"):
            hit = not neg
    return hit
stages, saw_from, user, df_ok = [], False, None, True
for ins in lines:
    word, _, rest = ins.partition(" ")
    kw = word.upper()
    if kw not in INSTRUCTIONS:
        bad(f"{DOCKERFILE}: unknown instruction '{word}'")
        df_ok = False
        continue
    if kw != "ARG" and not saw_from and kw != "FROM":
        bad(f"{DOCKERFILE}: '{kw}' before the first FROM")
        df_ok = False
    if kw == "FROM":
        saw_from = True
        m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", rest, re.I)
        if not m:
            bad(f"{DOCKERFILE}: cannot read FROM {rest}")
            df_ok = False
            continue
        image, alias = m.groups()
        if ":" not in image.split("/")[-1] and image not in stages:
            bad(f"{DOCKERFILE}: FROM {image} has no tag")
        stages.append(alias or image)
        user = None
    elif kw in ("COPY", "ADD"):
        args = rest.split()
        flags = [a for a in args if a.startswith("--")]
        paths = [a for a in args if not a.startswith("--")]
        src_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
        if len(paths) < 2:
            bad(f"{DOCKERFILE}: {kw} needs a source and a destination: {ins}")
            df_ok = False
        elif src_stage is not None:
            if src_stage not in stages[:-1]:
                bad(f"{DOCKERFILE}: {kw} --from={src_stage} names no earlier stage")
                df_ok = False
        else:
            for src in paths[:-1]:
                if not os.path.exists(src):
                    bad(f"{DOCKERFILE}: {kw} source '{src}' does not exist in the build context (repository root)")
                    df_ok = False
                elif ignored(src):
                    bad(f"{DOCKERFILE}: {kw} source '{src}' is excluded by .dockerignore")
                    df_ok = False
    elif kw == "USER":
        user = rest.split(":")[0].strip()
    elif kw in ("CMD", "ENTRYPOINT") and rest.lstrip().startswith("["):
        try:
            json.loads(rest)
        except ValueError:
            bad(f"{DOCKERFILE}: {kw} looks like exec form but is not a JSON array: {rest}")
            df_ok = False
final = [i.partition(" ") for i in lines[max(i for i, l in enumerate(lines) if l.upper().startswith("FROM ")):]] if stages else []
final_kws = {w.upper() for w, _, _ in final}
if len(stages) < 2:
    bad(f"{DOCKERFILE}: expected a multi-stage build (build stage + runtime stage)")
    df_ok = False
if user in (None, "root", "0"):
    bad(f"{DOCKERFILE}: the runtime stage must switch to a non-root USER")
    df_ok = False
for needed in ("HEALTHCHECK", "EXPOSE", "ENTRYPOINT"):
    if needed not in final_kws:
        bad(f"{DOCKERFILE}: the runtime stage has no {needed}")
        df_ok = False
jar_copied = any(w.upper() == "COPY" and "target/danmaku-relay.jar" in r for w, _, r in final)
with open("pom.xml", encoding="utf-8") as f:
    if "<finalName>danmaku-relay</finalName>" not in f.read() or not jar_copied:
        bad(f"{DOCKERFILE}: runtime stage must copy target/danmaku-relay.jar (pom finalName danmaku-relay)")
        df_ok = False
if df_ok:
    ok(f"{DOCKERFILE}: {len(lines)} instructions, {len(stages)} stages, COPY sources present, non-root USER {user}")

sys.exit(1 if failures else 0)
PYEOF
}

check_dashboard_promql() {
  local rules=$1 out
  if out=$(promtool check rules "$rules" 2>&1); then
    pass "promtool parses every dashboard query"
  else
    fail "dashboard PromQL does not parse: $out"
  fi
}

# Replays the Dockerfile's build stage: a copy with only what it COPYs, then mvn package.
check_build_stage() {
  local dir out
  dir=$(mktemp -d)
  local srcs
  srcs=$(awk 'BEGIN{IGNORECASE=1} /^FROM /{n++} n==1 && /^COPY / && !/--from=/ {for (i=2;i<NF;i++) if ($i !~ /^--/) print $i}' "$DOCKERFILE")
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
      -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
      *) echo "check-deploy: unknown argument $arg" >&2; exit 2 ;;
    esac
  done
  install_packages
  WORK_DIR=$(mktemp -d)
  trap 'rm -rf "$WORK_DIR"' EXIT

  check_compose
  check_prometheus
  if ! check_structure "$WORK_DIR/dashboard-rules.yml"; then
    FAILURES=$((FAILURES + 1))
  fi
  [ -s "$WORK_DIR/dashboard-rules.yml" ] && check_dashboard_promql "$WORK_DIR/dashboard-rules.yml"
  $build && check_build_stage

  if [ "$FAILURES" -ne 0 ]; then
    echo "check-deploy: $FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "check-deploy: all checks passed"
}

main "$@"
