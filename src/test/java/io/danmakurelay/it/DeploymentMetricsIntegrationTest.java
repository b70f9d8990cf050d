package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.testsupport.PromQlNames;
import io.danmakurelay.testsupport.WsProbe;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment's metric names against a live relay: every metric the Grafana dashboard and the Prometheus
 * alert rules of docker/ query must be in the relay's {@code /metrics} after real traffic (polls, Kafka
 * commits, a subscribed WebSocket client), and {@code promtool check metrics} must find nothing in that scrape.
 */
class DeploymentMetricsIntegrationTest {

  private static final Path DASHBOARD = Path.of("docker/grafana/dashboards/danmaku-relay.json");
  private static final Path ALERTS = Path.of("docker/prometheus/alerts.yml");
  /** Series Prometheus makes itself for every target, not the relay's. */
  private static final Set<String> SCRAPE_SERIES = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped");
  private static final long ROOM = 1000001;

  @TempDir
  static Path dir;
  static RelayHarness h;
  static Vertx clientVertx;
  static String scrape;

  @BeforeAll
  static void trafficThenScrape() throws Exception {
    h = new RelayHarness(SimulatorSettings.defaults(0, 3, 6.0, 17).withTraffic(0.2, 0.05));
    h.startRelay(h.flags(dir.resolve("kafka"), "ajax-msg", "rooms=" + ROOM + ",1000002,1000003",
        "poll.strategy=fixed", "poll.intervalMs=200", "poll.minIntervalMs=100", "upstream.requestsPerSecond=30"));
    clientVertx = Vertx.vertx();
    WebSocketClient client = clientVertx.createWebSocketClient();
    WsProbe ws = WsProbe.open(client, h.relay.httpPort(), "/ws");
    ws.send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(ROOM)));
    assertThat(ws.next().getString("op")).isEqualTo("subscribed");
    await("messages published and polls counted", Duration.ofSeconds(60),
        () -> h.metric("danmaku_messages_published_total", "") >= 10
            && h.metric("danmaku_poll_duration_seconds_count", "") >= 10);
    scrape = h.get("/metrics").body();
    ws.close();
  }

  @AfterAll
  static void stop() throws Exception {
    if (clientVertx != null) {
      clientVertx.close().await(10, TimeUnit.SECONDS);
    }
    if (h != null) {
      h.close();
    }
  }

  @Test
  @DisplayName("every metric the Grafana dashboard and the alert rules query is in the relay's /metrics")
  void deploymentQueriesOnlyExportedMetrics() throws Exception {
    Set<String> exported = scrape.lines().filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    Map<String, Set<String>> used = new TreeMap<>();
    dashboardQueries().forEach((where, expr) -> used.put(where, PromQlNames.of(expr)));
    alertQueries().forEach((where, expr) -> used.put(where, PromQlNames.of(expr)));
    assertThat(used).as("queries found in %s and %s", DASHBOARD, ALERTS).hasSizeGreaterThanOrEqualTo(10);

    List<String> missing = new ArrayList<>();
    used.forEach((where, names) -> names.stream()
        .filter(n -> !exported.contains(n) && !SCRAPE_SERIES.contains(n))
        .forEach(n -> missing.add(n + " (" + where + ")")));
    assertThat(missing).as("metrics queried by docker/ that the relay does not export").isEmpty();
  }

  @Test
  @DisplayName("a single relay exports the cluster's metrics as a cluster of one owning every room")
  void clusterMetricsOfASingleRelay() {
    assertThat(scrape).contains("# TYPE danmaku_cluster_members gauge", "# TYPE danmaku_rooms_owned gauge",
        "# TYPE danmaku_cluster_rebalances_total counter");
    assertThat(scrape.lines()).contains("danmaku_cluster_members 1.0", "danmaku_rooms_owned 3.0",
        "danmaku_cluster_rebalances_total 0.0");
  }

  @Test
  @DisplayName("promtool check metrics finds nothing in the whole /metrics, library metrics included")
  void promtoolClean() throws Exception {
    Assumptions.assumeTrue(onPath("promtool"), "promtool is not installed (Debian package prometheus)");
    Path file = dir.resolve("metrics.txt");
    Files.writeString(file, scrape, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out).as("promtool check metrics").isEmpty();
    assertThat(p.exitValue()).as("promtool's exit status").isZero();
    assertThat(scrape).contains("process_cpu_seconds_total", "system_cpus ")
        .doesNotContain("process_cpu_time_ns_total", "system_cpu_count");
  }

  /** Panel title (and variable) → PromQL of every query of the dashboard. */
  private static Map<String, String> dashboardQueries() throws Exception {
    JsonObject dash = new JsonObject(Files.readString(DASHBOARD));
    Map<String, String> out = new TreeMap<>();
    List<JsonObject> panels = new ArrayList<>();
    for (Object o : dash.getJsonArray("panels")) {
      panels.add((JsonObject) o);
      for (Object nested : ((JsonObject) o).getJsonArray("panels", new JsonArray())) {
        panels.add((JsonObject) nested);
      }
    }
    for (JsonObject panel : panels) {
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        JsonObject target = (JsonObject) t;
        out.put("dashboard panel " + panel.getInteger("id") + " '" + panel.getString("title") + "' "
            + target.getString("refId", ""), target.getString("expr", ""));
      }
    }
    for (Object v : dash.getJsonObject("templating", new JsonObject()).getJsonArray("list", new JsonArray())) {
      JsonObject variable = (JsonObject) v;
      Object query = variable.getValue("query");
      String q = query instanceof JsonObject j ? j.getString("query", "") : String.valueOf(query);
      // label_values(metric, label): the metric is the first argument.
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("label_values\\(\\s*([^,]+),").matcher(q);
      if (m.find()) {
        out.put("dashboard variable $" + variable.getString("name"), m.group(1));
      }
    }
    return out;
  }

  /** Alert (or record) name → its PromQL. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> alertQueries() throws Exception {
    Map<String, Object> doc = new Yaml().load(Files.readString(ALERTS));
    Map<String, String> out = new TreeMap<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
      for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
        Object name = rule.containsKey("alert") ? rule.get("alert") : rule.get("record");
        out.put("alert rule " + name, String.valueOf(rule.get("expr")));
      }
    }
    return out;
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }
}
