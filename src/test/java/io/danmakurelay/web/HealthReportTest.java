package io.danmakurelay.web;

import static io.danmakurelay.web.HealthReport.DEGRADED;
import static io.danmakurelay.web.HealthReport.DOWN;
import static io.danmakurelay.web.HealthReport.ok;
import static io.danmakurelay.web.HealthReport.problem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.Status;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HealthReportTest {

  private static final JsonObject KAFKA = new JsonObject().put("bootstrap_servers", "127.0.0.1:9092")
      .put("buffered_messages", 0).put("buffer_capacity", 100_000);
  private static final JsonObject POLLER = new JsonObject().put("rooms", 2).put("polling", 2).put("backoff", 0);

  /** The procedures' outcome as health-check hands it over: in no particular order. */
  private static CheckResult result(Status poller, Status kafka, Status risk, Status buffer) {
    List<CheckResult> checks = new ArrayList<>();
    checks.add(CheckResult.from(HealthReport.BUFFER, buffer));
    checks.add(CheckResult.from(HealthReport.KAFKA, kafka));
    checks.add(CheckResult.from(HealthReport.RISK_CONTROL, risk));
    checks.add(CheckResult.from(HealthReport.POLLER, poller));
    return new CheckResult().setChecks(checks);
  }

  @Test
  @DisplayName("every procedure OK is 200 UP with no reasons, the Kafka address and buffer fill, the poller's "
      + "status and the WebSocket count")
  void allUp() {
    HealthReport report = HealthReport.of(result(ok(POLLER), ok(KAFKA), ok(null), ok(null)), 3);
    assertThat(report.httpStatus()).isEqualTo(200);
    assertThat(report.body()).isEqualTo(new JsonObject().put("status", "UP").put("reasons", new io.vertx.core.json.JsonArray())
        .put("kafka", KAFKA).put("poller", POLLER).put("ws_connections", 3));
  }

  @Test
  @DisplayName("a DEGRADED problem is 503 DEGRADED with its reason, and the details stay")
  void degraded() {
    HealthReport report = HealthReport.of(result(ok(POLLER), problem(DEGRADED, "Kafka unreachable", KAFKA),
        problem(DEGRADED, "upstream risk control: every room waits until 5", null), ok(null)), 0);
    assertThat(report.httpStatus()).isEqualTo(503);
    assertThat(report.body().getString("status")).isEqualTo("DEGRADED");
    assertThat(report.body().getJsonArray("reasons").getList())
        .containsExactly("Kafka unreachable", "upstream risk control: every room waits until 5");
    assertThat(report.body().getJsonObject("kafka")).isEqualTo(KAFKA);
    assertThat(report.body().getJsonObject("poller")).isEqualTo(POLLER);
  }

  @Test
  @DisplayName("DOWN outweighs DEGRADED wherever it comes from, and the reasons keep the order poller, Kafka, "
      + "risk control, buffer")
  void downOutweighsDegraded() {
    HealthReport report = HealthReport.of(result(problem(DOWN, "the poller does not answer", null),
        problem(DEGRADED, "Kafka unreachable", KAFKA), ok(null), problem(DEGRADED, "Kafka buffer full", null)), 0);
    assertThat(report.httpStatus()).isEqualTo(503);
    assertThat(report.body().getString("status")).isEqualTo("DOWN");
    assertThat(report.body().getJsonArray("reasons").getList())
        .containsExactly("the poller does not answer", "Kafka unreachable", "Kafka buffer full");
    assertThat(report.body().getValue("poller")).isNull();
  }

  @Test
  @DisplayName("a procedure that timed out or failed counts as DOWN, naming the check and the cause")
  void failedProcedureIsDown() {
    List<CheckResult> checks = new ArrayList<>(result(ok(POLLER), ok(KAFKA), ok(null), ok(null)).getChecks());
    checks.removeIf(c -> c.getId().equals(HealthReport.BUFFER));
    checks.add(CheckResult.from(HealthReport.BUFFER, new IllegalStateException("Timeout")));
    HealthReport report = HealthReport.of(new CheckResult().setChecks(checks), 0);
    assertThat(report.httpStatus()).isEqualTo(503);
    assertThat(report.body().getString("status")).isEqualTo("DOWN");
    assertThat(report.body().getJsonArray("reasons").getList())
        .containsExactly("health check buffer did not complete: Timeout");
  }

  @Test
  @DisplayName("a missing procedure is DOWN rather than silently UP")
  void missingProcedureIsDown() {
    HealthReport report = HealthReport.of(new CheckResult().setChecks(List.of()), 0);
    assertThat(report.body().getString("status")).isEqualTo("DOWN");
    assertThat(report.body().getJsonArray("reasons")).hasSize(4);
  }

  @Test
  @DisplayName("a problem is DEGRADED or DOWN, nothing else")
  void severityChecked() {
    assertThatThrownBy(() -> problem("UP", "fine", null)).isInstanceOf(IllegalArgumentException.class);
  }
}
