package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real faults against the whole relay, each compared with the simulator's ground truth afterwards: a Kafka
 * broker stopped for 30 s, a graceful restart, and a {@code kill -9} of a relay process.
 */
class ReliabilityIntegrationTest {

  private static final String ROOMS = "rooms=1000001,1000002,1000003,1000004,1000005";

  private static List<String> steadyFlags(RelayHarness h, Path dir, String... more) {
    List<String> flags = h.flags(dir, "ajax-msg", ROOMS, "poll.strategy=fixed", "poll.intervalMs=200",
        "poll.minIntervalMs=100", "upstream.requestsPerSecond=40");
    flags.addAll(List.of(more));
    return flags;
  }

  @Test
  @DisplayName("with the broker stopped for 30 s the relay buffers, reports DEGRADED, and afterwards Kafka holds "
      + "every message exactly once")
  void kafkaOutage(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0);
    int port = kafka.port();
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 5, 6.0, 21).withTraffic(0.2, 0.05))) {
      h.sim.pause();
      h.startRelay(steadyFlags(h, dir.resolve("unused"), "kafka.bootstrapServers=" + kafka.bootstrapServers()));
      await("healthy", Duration.ofSeconds(30), () -> h.get("/health").statusCode() == 200);
      h.sim.resume();
      await("steady traffic published", Duration.ofSeconds(30), () -> h.publishedPerApi() >= 20);

      kafka.close();
      long outageStart = System.nanoTime();
      await("DEGRADED while Kafka is down", Duration.ofSeconds(30), () -> {
        HttpResponse<String> health = h.get("/health");
        return health.statusCode() == 503 && health.body().contains("Kafka unreachable");
      });
      JsonObject degraded = new JsonObject(h.get("/health").body());
      assertThat(degraded.getString("status")).isEqualTo("DEGRADED");
      await("messages buffered", Duration.ofSeconds(20), () -> h.metric("danmaku_kafka_buffered_messages", "") > 0);
      // The outage lasts 30 s, and the relay says DEGRADED at every look through it.
      long left = 30_000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStart);
      Awaitility.await("DEGRADED throughout the outage").during(Duration.ofMillis(Math.max(1, left)))
          .atMost(Duration.ofMillis(Math.max(1, left)).plusSeconds(30)).pollInterval(Duration.ofMillis(500))
          .until(() -> new JsonObject(h.get("/health").body()).getString("status"), "DEGRADED"::equals);
      assertThat(h.metric("danmaku_kafka_buffered_messages", "")).isGreaterThan(20).isLessThan(100_000);

      kafka = EmbeddedKafka.start(dir.resolve("broker"), port);
      await("UP again", Duration.ofSeconds(60), () -> h.get("/health").statusCode() == 200);
      h.sim.pause();
      long generated = h.sim.stats().getJsonObject("totals").getLong("generated");
      await("everything delivered", Duration.ofSeconds(60),
          () -> h.publishedPerApi() >= generated && h.metric("danmaku_kafka_buffered_messages", "") == 0);
      h.assertKafkaMatchesGroundTruth(kafka.bootstrapServers(), "danmaku");
    } finally {
      kafka.close();
    }
  }

  @Test
  @DisplayName("a relay stopped (as on SIGTERM) and started again publishes nothing twice and loses nothing")
  void gracefulRestart(@TempDir Path dir) throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 5, 4.0, 8).withTraffic(0.2, 0.05))) {
      List<String> flags = steadyFlags(h, dir.resolve("kafka"));
      h.sim.pause();
      h.startRelay(flags);
      h.sim.resume();
      await("traffic published", Duration.ofSeconds(30), () -> h.publishedPerApi() >= 20);
      // Nothing is generated while the relay is down: a restart slower than the upstream's 10-message window
      // (a loaded machine) would lose messages to the window, which is not what this test is about.
      h.sim.pause();
      h.relay.close();
      h.relay = null;
      h.startRelay(flags);
      h.sim.resume();
      await("traffic after the restart", Duration.ofSeconds(30), () -> h.publishedPerApi() >= 10);
      h.sim.pause();
      h.assertKafkaMatchesGroundTruth(h.relay.bootstrapServers(), "danmaku");
    }
  }

  @Test
  @DisplayName("a relay process killed with kill -9 mid-traffic and started again publishes nothing twice "
      + "(each poll's messages and dedupe state commit in one transaction)")
  void killNine(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0);
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 5, 5.0, 13).withTraffic(0.2, 0.05))) {
      List<String> flags = steadyFlags(h, dir.resolve("unused"), "kafka.bootstrapServers=" + kafka.bootstrapServers());
      h.sim.pause();
      int childPort;
      try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
        childPort = probe.getLocalPort();
      }
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "io.danmakurelay.Main", "run", "--config",
          dir.resolve("none.json").toString()));
      java.nio.file.Files.writeString(dir.resolve("none.json"), "{}");
      for (String f : flags) {
        cmd.add("--set");
        cmd.add(f.startsWith("http.port=") ? "http.port=" + childPort : f);
      }
      Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(dir.resolve("child.log").toFile()).directory(new File(".")).start();
      try {
        h.sim.resume();
        String childMetrics = "http://127.0.0.1:" + childPort + "/metrics";
        await("the child relay published", Duration.ofSeconds(60), () -> published(h, childMetrics) >= 25);
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        child.destroyForcibly();
      }
      // As above: nothing is generated while no relay runs, so only what the windows held when it died is
      // at stake, and every one of those must arrive once.
      h.sim.pause();
      h.startRelay(flags);
      h.sim.resume();
      await("traffic after the restart", Duration.ofSeconds(30), () -> h.publishedPerApi() >= 10);
      h.sim.pause();
      h.assertKafkaMatchesGroundTruth(kafka.bootstrapServers(), "danmaku");
    } finally {
      kafka.close();
    }
  }

  private static double published(RelayHarness h, String metricsUrl) {
    try {
      String body = h.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(metricsUrl))
              .timeout(Duration.ofSeconds(15)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      return body.lines().filter(l -> l.startsWith("danmaku_messages_published_total "))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    } catch (Exception notUpYet) {
      return 0;
    }
  }
}
