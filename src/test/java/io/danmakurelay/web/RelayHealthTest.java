package io.danmakurelay.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.Addresses;
import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.KafkaSink;
import io.danmakurelay.kafka.RecordFormat;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The health procedures against a stand-in poller on the event bus and a sink that never started (so Kafka
 * is not acknowledging): what each procedure reports and how often the poller is asked.
 */
@ExtendWith(VertxExtension.class)
class RelayHealthTest {

  private static KafkaSink unstartedSink() throws Exception {
    RelayConfig config = ConfigLoader.load(null, Map.of(), List.of());
    return new KafkaSink("127.0.0.1:1", "health-test", Map.of(), 100, new RecordFormat(config.kafka()),
        new SimpleMeterRegistry(), batch -> { });
  }

  @Test
  @DisplayName("risk control, a full buffer and an unready Kafka are each a DEGRADED reason, from one question "
      + "to the poller")
  void degradedReasons(Vertx vertx, VertxTestContext ctx) throws Exception {
    AtomicInteger questions = new AtomicInteger();
    JsonObject poller = new JsonObject().put("rooms", 2).put("polling", 2).put("backoff", 0).put("invalid", 0)
        .put("risk_control_until", 1_764_388_800_000L).put("buffer_full", true);
    RelayHealth health = new RelayHealth(vertx, unstartedSink(), "127.0.0.1:1", false);
    vertx.runOnContext(start -> vertx.eventBus().<JsonObject>consumer(Addresses.POLLER_STATUS, msg -> {
      questions.incrementAndGet();
      msg.reply(poller);
    }).completion()
        .compose(registered -> health.check(() -> 7))
        .onComplete(ctx.succeeding(report -> ctx.verify(() -> {
          assertThat(report.httpStatus()).isEqualTo(503);
          assertThat(report.body().getString("status")).isEqualTo("DEGRADED");
          assertThat(report.body().getJsonArray("reasons").getList()).containsExactly(
              "Kafka unreachable, buffering 0 messages",
              "upstream risk control: every room waits until 1764388800000",
              "Kafka buffer full: polling paused");
          assertThat(report.body().getJsonObject("poller")).isEqualTo(poller);
          assertThat(report.body().getJsonObject("kafka").getString("bootstrap_servers")).isEqualTo("127.0.0.1:1");
          assertThat(report.body().getJsonObject("kafka").getBoolean("up")).isFalse();
          assertThat(report.body().getInteger("ws_connections")).isEqualTo(7);
          assertThat(questions.get()).as("questions to the poller for one check").isEqualTo(1);
          ctx.completeNow();
        }))));
  }

  @Test
  @DisplayName("a poller that does not answer makes /health DOWN, and every room backing off is DEGRADED")
  void pollerDownOrBackingOff(Vertx vertx, VertxTestContext ctx) throws Exception {
    KafkaSink sink = unstartedSink();
    RelayHealth health = new RelayHealth(vertx, sink, "127.0.0.1:1", true);
    vertx.runOnContext(start -> health.check(() -> 0)
        .compose(noPoller -> {
          ctx.verify(() -> {
            assertThat(noPoller.body().getString("status")).isEqualTo("DOWN");
            assertThat(noPoller.body().getJsonArray("reasons").getList()).contains("the poller does not answer");
            assertThat(noPoller.body().getValue("poller")).isNull();
          });
          return vertx.eventBus().<JsonObject>consumer(Addresses.POLLER_STATUS, msg -> msg.reply(new JsonObject()
              .put("rooms", 2).put("polling", 0).put("backoff", 2).put("invalid", 0).put("buffer_full", false)))
              .completion();
        })
        .compose(registered -> health.check(() -> 0))
        .onComplete(ctx.succeeding(backingOff -> ctx.verify(() -> {
          assertThat(backingOff.body().getString("status")).isEqualTo("DEGRADED");
          assertThat(backingOff.body().getJsonArray("reasons").getList())
              .containsExactly("every room is backing off", "Kafka unreachable, buffering 0 messages");
          ctx.completeNow();
        }))));
  }
}
