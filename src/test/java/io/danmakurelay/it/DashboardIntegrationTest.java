package io.danmakurelay.it;

import io.danmakurelay.web.Endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's and the overlay's server side in the real relay, fed by the simulator. */
class DashboardIntegrationTest {

  @Test
  @DisplayName("GET /api/stats reports the relay's own traffic of the last intervals (messages/s, polls/s "
      + "against the budget, publish delay), and GET /overlay serves the overlay page under the dashboard's CSP")
  void statsAndOverlay(@TempDir Path dir) throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 3, 6.0, 11))) {
      h.startRelay(h.flags(dir.resolve("kafka"), "gethistory", "rooms=1000001,1000002,1000003",
          "upstream.requestsPerSecond=8"));

      JsonObject[] busy = new JsonObject[1];
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        JsonArray samples = new JsonObject(h.get(Endpoints.STATS).body()).getJsonArray("samples");
        for (Object s : samples) {
          JsonObject sample = (JsonObject) s;
          if (sample.getDouble("messages_per_second") > 0 && sample.getDouble("requests_per_second") > 0
              && sample.getValue("publish_delay_p50_ms") != null) {
            busy[0] = sample;
            return true;
          }
        }
        return false;
      });
      HttpResponse<String> statsResponse = h.get(Endpoints.STATS);
      JsonObject stats = new JsonObject(statsResponse.body());
      assertThat(statsResponse.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("application/json"));
      assertThat(stats.getDouble("budget_per_second")).isEqualTo(8.0);
      assertThat(stats.getLong("interval_ms")).isEqualTo(5000L);
      assertThat(stats.getLong("window_ms")).isEqualTo(600_000L);
      assertThat(busy[0].getDouble("requests_per_second")).as("polls never exceed the budget").isLessThanOrEqualTo(8.0 * 1.25);
      assertThat(busy[0].getDouble("publish_delay_p99_ms")).isGreaterThanOrEqualTo(busy[0].getDouble("publish_delay_p50_ms"));
      assertThat(busy[0].getLong("delays_recorded")).isPositive();

      HttpResponse<String> overlay = h.get("/overlay?room=1000001&lines=5");
      assertThat(overlay.statusCode()).isEqualTo(200);
      assertThat(overlay.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("text/html"));
      assertThat(overlay.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
          csp -> assertThat(csp).contains("script-src 'self'").contains("style-src 'self'"));
      assertThat(overlay.body()).contains("<script src=\"/overlay.js\" defer></script>").contains("id=\"lines\"");
      assertThat(h.get("/overlay.js").statusCode()).isEqualTo(200);
      assertThat(h.get("/").body()).contains("id=\"fig-messages\"").contains("href=\"/videos.html\"");
    }
  }
}
