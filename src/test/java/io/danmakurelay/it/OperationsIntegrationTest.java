package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.FaultMode;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's side for real: the room API with auth and persistence, metrics after traffic, risk control. */
class OperationsIntegrationTest {

  private static List<Long> roomIds(HttpResponse<String> list) {
    return new JsonObject(list.body()).getJsonArray("rooms").stream()
        .map(o -> ((JsonObject) o).getLong("room_id")).collect(Collectors.toList());
  }

  @Test
  @DisplayName("the room API lists, adds and removes rooms, guards changes with the admin token, refuses bad "
      + "input, and the rooms added survive a restart against the same broker")
  void roomApi(@TempDir Path dir) throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 6, 3.0, 5))) {
      List<String> flags = h.flags(dir.resolve("kafka"), "ajax-msg", "rooms=1000001", "admin.token=s3cret",
          "poll.strategy=fixed", "upstream.requestsPerSecond=20");
      h.startRelay(flags);
      await("room 1000001 listed", Duration.ofSeconds(20), () -> roomIds(h.get("/api/rooms")).contains(1000001L));

      assertThat(h.send("POST", "/api/rooms", "{\"room\":1000002}", null).statusCode()).isEqualTo(401);
      assertThat(h.send("POST", "/api/rooms", "{\"room\":1000002}", "wrong").statusCode()).isEqualTo(401);
      assertThat(h.send("DELETE", "/api/rooms/1000001", null, null).statusCode()).isEqualTo(401);

      HttpResponse<String> badJson = h.send("POST", "/api/rooms", "{room:", "s3cret");
      assertThat(badJson.statusCode()).isEqualTo(400);
      assertThat(new JsonObject(badJson.body()).getString("error")).isNotBlank();
      assertThat(h.send("POST", "/api/rooms", "{\"room\":\"abc\"}", "s3cret").statusCode()).isEqualTo(400);
      assertThat(h.send("POST", "/api/rooms", "{\"room\":-5}", "s3cret").statusCode()).isEqualTo(400);
      assertThat(h.send("POST", "/api/rooms", "[1]", "s3cret").statusCode()).isEqualTo(400);
      assertThat(h.send("DELETE", "/api/rooms/abc", null, "s3cret").statusCode()).isEqualTo(400);
      assertThat(h.send("DELETE", "/api/rooms/424242", null, "s3cret").statusCode()).isEqualTo(404);
      assertThat(h.send("POST", "/api/rooms", "x".repeat(100_000), "s3cret").statusCode()).isEqualTo(413);

      assertThat(h.send("POST", "/api/rooms", "{\"room\":1000002}", "s3cret").statusCode()).isEqualTo(201);
      assertThat(h.send("POST", "/api/rooms", "{\"room\":1000002}", "s3cret").statusCode()).isEqualTo(200);
      // A short id resolves to the real one.
      assertThat(h.send("POST", "/api/rooms", "{\"room\":4}", "s3cret").statusCode()).isEqualTo(201);
      assertThat(h.send("POST", "/api/rooms", "{\"room\":1000005}", "s3cret").statusCode()).isEqualTo(201);
      await("rooms resolved", Duration.ofSeconds(20),
          () -> roomIds(h.get("/api/rooms")).containsAll(List.of(1000001L, 1000002L, 1000004L, 1000005L)));
      assertThat(h.send("DELETE", "/api/rooms/1000005", null, "s3cret").statusCode()).isEqualTo(200);
      assertThat(roomIds(h.get("/api/rooms"))).containsExactly(1000001L, 1000002L, 1000004L);
      JsonObject entry = new JsonObject(h.get("/api/rooms").body()).getJsonArray("rooms").getJsonObject(2);
      assertThat(entry.getLong("short_id")).isEqualTo(4);
      assertThat(entry.getString("state")).isEqualTo("polling");
      assertThat(entry.fieldNames()).contains("interval_ms", "last_poll_at", "messages_published", "gaps");

      h.relay.close();
      h.relay = null;
      // Restarted on the same broker without the token: the added rooms are back, the removed one is not.
      h.startRelay(h.flags(dir.resolve("kafka"), "ajax-msg", "rooms=1000001", "poll.strategy=fixed",
          "metrics.perRoom=true"));
      await("added rooms restored", Duration.ofSeconds(20),
          () -> roomIds(h.get("/api/rooms")).containsAll(List.of(1000001L, 1000002L, 1000004L)));
      assertThat(roomIds(h.get("/api/rooms"))).doesNotContain(1000005L);
      assertThat(h.send("POST", "/api/rooms", "{\"room\":1000006}", null).statusCode()).isEqualTo(201);

      // With metrics.perRoom the per-room meters carry a room label, and a removed room's series go away.
      // Each room's meters are registered when the room resolves, which happens for each on its own.
      await("per-room series", Duration.ofSeconds(30), () -> h.get("/metrics").body().contains(
          "danmaku_room_messages_published_total{room=\"1000006\"}")
          && h.get("/metrics").body().contains("danmaku_room_poll_interval_seconds{room=\"1000001\"}")
          && h.get("/metrics").body().contains("danmaku_room_gaps_total{room=\"1000002\"}"));
      assertThat(h.send("DELETE", "/api/rooms/1000006", null, null).statusCode()).isEqualTo(200);
      assertThat(h.get("/metrics").body()).doesNotContain("room=\"1000006\"");
    }
  }

  @Test
  @DisplayName("after real traffic /metrics shows polls by outcome, messages, duplicates, gaps, rooms by state and "
      + "rate-limited polls; a 412 ban slows every room down and polling recovers after it")
  void metricsAndRiskControl(@TempDir Path dir) throws Exception {
    SimulatorSettings settings = SimulatorSettings.defaults(0, 4, 8.0, 3).withTraffic(0.2, 0.05);
    try (RelayHarness h = new RelayHarness(settings)) {
      h.startRelay(h.flags(dir.resolve("kafka"), "ajax-msg", "rooms=1000001,1000002,1000003,1000004",
          "poll.strategy=fixed", "poll.intervalMs=250", "poll.minIntervalMs=100", "upstream.requestsPerSecond=30",
          "backoff.initialMs=300", "backoff.maxMs=5000"));
      await("messages published", Duration.ofSeconds(60),
          () -> h.metric("danmaku_messages_published_total", "") >= 30);
      // A poll's duration is recorded before its outcome is counted, and its messages are published after.
      assertThat(h.metric("danmaku_polls_total", "outcome=\"ok\"")).isPositive();
      assertThat(h.metric("danmaku_poll_duration_seconds_count", "")).isPositive();
      // A repeat shows up in the poll after the one that first saw it: nothing says which poll that is.
      await("duplicates dropped", Duration.ofSeconds(30), () -> h.metric("danmaku_duplicates_dropped_total", "") > 0);
      // The rooms gauge is refreshed once a second: wait for the refresh that follows the first polls.
      await("four rooms polling", Duration.ofSeconds(20), () -> h.metric("danmaku_rooms", "state=\"polling\"") == 4);
      assertThat(h.get("/metrics").body())
          .contains("danmaku_poll_duration_seconds_bucket", "danmaku_kafka_buffered_messages",
              "danmaku_ws_connections", "danmaku_ws_messages_sent_total", "jvm_memory_used_bytes",
              "vertx_http_server_requests_total")
          // Vert.x's per-request HTTP client meters are off (RelayMetrics.vertxMetricsOptions): polls are counted above.
          .doesNotContain("room=\"", "vertx_http_client_");
      assertThat(h.get("/health").statusCode()).isEqualTo(200);

      // A ban: every room waits, far fewer requests reach the upstream than the ~16/s of steady polling.
      long before = h.sim.stats().getJsonObject("totals").getLong("requests");
      h.sim.ban(4);
      await("rate-limited outcome counted", Duration.ofSeconds(20),
          () -> h.metric("danmaku_polls_total", "outcome=\"rate_limited\"") > 0);
      // The poller counts the outcome, then pauses: /health asks the poller, so it answers after both.
      HttpResponse<String> health = h.get("/health");
      assertThat(health.statusCode()).isEqualTo(503);
      JsonObject degraded = new JsonObject(health.body());
      assertThat(degraded.getString("status")).isEqualTo("DEGRADED");
      assertThat(health.body()).contains("risk control");
      assertThat(h.metric("danmaku_risk_control_active", "")).isEqualTo(1);
      // The bound holds at every look over 3 s of the 4 s ban, not only at its end.
      Awaitility.await("fewer than 12 requests sent during 3 s of a 4 s ban").during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .until(() -> h.sim.stats().getJsonObject("totals").getLong("requests") - before, sent -> sent < 12);

      double okBefore = h.metric("danmaku_polls_total", "outcome=\"ok\"");
      await("polling recovered after the ban", Duration.ofSeconds(30),
          () -> h.metric("danmaku_polls_total", "outcome=\"ok\"") > okBefore + 20);
      await("healthy again", Duration.ofSeconds(30), () -> h.get("/health").statusCode() == 200);

      // A gap: a room suddenly far busier than one window per poll.
      h.sim.setRate(1000004, 400);
      await("gap counted", Duration.ofSeconds(20), () -> h.metric("danmaku_gaps_total", "") > 0);
      h.sim.setRate(1000004, 0.5);

      // Upstream faults are counted under their outcome and publish nothing.
      h.sim.fault(1000001L, FaultMode.HTTP500, 1);
      await("http_error counted", Duration.ofSeconds(20),
          () -> h.metric("danmaku_polls_total", "outcome=\"http_error\"") > 0);
      h.sim.fault(1000001L, FaultMode.NONJSON, 1);
      await("parse_error counted", Duration.ofSeconds(20),
          () -> h.metric("danmaku_polls_total", "outcome=\"parse_error\"") > 0);
    }
  }
}
