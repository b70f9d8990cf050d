package io.danmakurelay.web;

import static io.danmakurelay.web.HealthReport.DEGRADED;
import static io.danmakurelay.web.HealthReport.DOWN;
import static io.danmakurelay.web.HealthReport.ok;
import static io.danmakurelay.web.HealthReport.problem;

import io.danmakurelay.Addresses;
import io.danmakurelay.kafka.KafkaSink;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.function.IntSupplier;

/**
 * The {@code /health} procedures (vertx-health-check): the poller, Kafka, upstream risk control and the Kafka
 * buffer. Reads the sink directly and asks the poller over the event bus, once per check whatever the number
 * of procedures that need its answer. {@link HealthReport} renders their outcome.
 */
public final class RelayHealth {

  /** The poller answers within this or counts as not answering. */
  static final long POLLER_TIMEOUT_MS = 5_000;
  /** Health-check's own deadline for each procedure: a backstop behind the poller's. */
  static final long PROCEDURE_TIMEOUT_MS = POLLER_TIMEOUT_MS + 1_000;
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(POLLER_TIMEOUT_MS).setLocalOnly(true);

  private final Vertx vertx;
  private final HealthChecks checks;
  private Future<JsonObject> pollerStatus;

  /**
   * Procedures against {@code sink} and the poller; {@code kafkaAddress} and {@code embedded} describe the
   * broker in use. Call {@link #check} on one event loop only (the web verticle's).
   */
  public RelayHealth(Vertx vertx, KafkaSink sink, String kafkaAddress, boolean embedded) {
    this.vertx = vertx;
    this.checks = HealthChecks.create(vertx)
        .register(HealthReport.POLLER, PROCEDURE_TIMEOUT_MS, this::poller)
        .register(HealthReport.KAFKA, PROCEDURE_TIMEOUT_MS, promise -> promise.tryComplete(kafka(sink, kafkaAddress,
            embedded)))
        .register(HealthReport.RISK_CONTROL, PROCEDURE_TIMEOUT_MS, fromPoller(poller -> {
          Long until = poller.getLong("risk_control_until");
          return until == null ? ok(null)
              : problem(DEGRADED, "upstream risk control: every room waits until " + until, null);
        }))
        .register(HealthReport.BUFFER, PROCEDURE_TIMEOUT_MS, fromPoller(poller ->
            poller.getBoolean("buffer_full", false)
                ? problem(DEGRADED, "Kafka buffer full: polling paused", null) : ok(null)));
  }

  /** Runs every procedure and renders SPEC §5's answer. */
  public Future<HealthReport> check(IntSupplier wsConnections) {
    return checks.checkStatus().map(result -> HealthReport.of(result, wsConnections.getAsInt()));
  }

  /** DOWN when the poller does not answer; DEGRADED when it has rooms and every one is backing off. */
  private void poller(Promise<Status> promise) {
    askPoller().onComplete(reply -> {
      if (reply.failed()) {
        promise.tryComplete(problem(DOWN, "the poller does not answer", null));
        return;
      }
      JsonObject poller = reply.result();
      boolean allBackingOff = poller.getInteger("backoff", 0) > 0 && poller.getInteger("polling", 0) == 0;
      promise.tryComplete(allBackingOff ? problem(DEGRADED, "every room is backing off", poller) : ok(poller));
    });
  }

  /** DOWN when the producer was fenced or stopped; DEGRADED while Kafka does not acknowledge. */
  static Status kafka(KafkaSink sink, String kafkaAddress, boolean embedded) {
    JsonObject details = new JsonObject()
        .put("bootstrap_servers", kafkaAddress)
        .put("embedded", embedded)
        .put("up", sink.healthy())
        .put("buffered_messages", sink.bufferedMessages())
        .put("buffer_capacity", sink.capacity())
        .put("last_error", sink.lastError());
    if (sink.failed()) {
      return problem(DOWN, "Kafka producer stopped: " + sink.lastError(), details);
    }
    if (!sink.healthy()) {
      return problem(DEGRADED, "Kafka unreachable, buffering " + sink.bufferedMessages() + " messages"
          + (sink.lastError() == null ? "" : " (" + sink.lastError() + ")"), details);
    }
    return ok(details);
  }

  /** A procedure on the poller's answer; without one it reports nothing (the poller procedure says DOWN). */
  private Handler<Promise<Status>> fromPoller(java.util.function.Function<JsonObject, Status> judge) {
    return promise -> askPoller().onComplete(reply ->
        promise.tryComplete(reply.succeeded() ? judge.apply(reply.result()) : ok(null)));
  }

  /** One question to the poller for all the procedures of a check, which start on the same event-loop turn. */
  private Future<JsonObject> askPoller() {
    Future<JsonObject> asked = pollerStatus;
    if (asked == null) {
      Future<JsonObject> question = vertx.eventBus()
          .<JsonObject>request(Addresses.POLLER_STATUS, new JsonObject(), ASK).map(Message::body);
      pollerStatus = question;
      // Without a poller the request fails at once: this listener has cleared the field by the time it returns.
      question.onComplete(done -> {
        if (pollerStatus == question) {
          pollerStatus = null;
        }
      });
      asked = question;
    }
    return asked;
  }
}
