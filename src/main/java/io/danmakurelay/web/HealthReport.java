package io.danmakurelay.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the outcome of the health-check procedures into SPEC §5's {@code /health} answer: {@code 200 UP}, or
 * {@code 503} with {@code DEGRADED} (the relay works around a fault) or {@code DOWN} (it cannot work), the
 * reasons, the Kafka facts and the poller's status. Health-check's own format knows only UP and DOWN, so each
 * procedure says in its data how bad a KO is; a procedure that failed or timed out counts as DOWN.
 */
public record HealthReport(int httpStatus, JsonObject body) {

  /** The procedures, in the order their reasons are listed. */
  public static final String POLLER = "poller";
  public static final String KAFKA = "kafka";
  public static final String RISK_CONTROL = "risk-control";
  public static final String BUFFER = "buffer";
  static final List<String> CHECKS = List.of(POLLER, KAFKA, RISK_CONTROL, BUFFER);

  public static final String UP = "UP";
  public static final String DEGRADED = "DEGRADED";
  public static final String DOWN = "DOWN";

  /** A procedure's answer: all is well, with what it found to show. */
  public static Status ok(JsonObject details) {
    return Status.OK(new JsonObject().put("details", details));
  }

  /** A procedure's answer: a problem of {@code severity} (DEGRADED or DOWN), said in {@code reason}. */
  public static Status problem(String severity, String reason, JsonObject details) {
    if (!DEGRADED.equals(severity) && !DOWN.equals(severity)) {
      throw new IllegalArgumentException("severity must be DEGRADED or DOWN, not " + severity);
    }
    return Status.KO(new JsonObject().put("severity", severity).put("reason", reason).put("details", details));
  }

  /** The answer for the result of every procedure ({@code HealthChecks.checkStatus()}). */
  public static HealthReport of(CheckResult result, int wsConnections) {
    Map<String, CheckResult> byId = new HashMap<>();
    if (result.getChecks() != null) {
      result.getChecks().forEach(check -> byId.put(check.getId(), check));
    }
    String status = UP;
    JsonArray reasons = new JsonArray();
    for (String id : CHECKS) {
      CheckResult check = byId.get(id);
      String severity;
      String reason;
      if (check == null) {
        severity = DOWN;
        reason = "health check " + id + " is missing";
      } else if (check.getStatus() == null) {
        severity = DOWN;
        reason = check.getFailure() == null ? "health check " + id + " gave no answer"
            : "health check " + id + " did not complete: " + check.getFailure().getMessage();
      } else if (check.getStatus().isOk()) {
        continue;
      } else {
        JsonObject data = check.getStatus().getData();
        severity = DEGRADED.equals(data.getString("severity")) ? DEGRADED : DOWN;
        reason = data.getString("reason", "health check " + id + " failed");
      }
      reasons.add(reason);
      status = worse(status, severity);
    }
    JsonObject body = new JsonObject()
        .put("status", status)
        .put("reasons", reasons)
        .put("kafka", details(byId.get(KAFKA)))
        .put("poller", details(byId.get(POLLER)))
        .put("ws_connections", wsConnections);
    return new HealthReport(UP.equals(status) ? 200 : 503, body);
  }

  private static String worse(String a, String b) {
    return DOWN.equals(a) || DOWN.equals(b) ? DOWN : DEGRADED.equals(a) || DEGRADED.equals(b) ? DEGRADED : UP;
  }

  private static JsonObject details(CheckResult check) {
    return check == null || check.getStatus() == null ? null : check.getStatus().getData().getJsonObject("details");
  }
}
