package io.danmakurelay.bench;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Vertx;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * The pipeline benchmark (scripts/bench-pipeline.sh): the simulator at a high rate with no budget limit,
 * the relay jar in its own process publishing to an embedded broker, then a bare Kafka producer sending
 * the same records (the ceiling). Prints messages/s and CPU seconds per million messages for both.
 * Args: rooms totalRate measureSeconds relayJar classpath [zipf] [requestsPerSecond].
 */
public final class PipelineBench {

  public static void main(String[] args) throws Exception {
    int rooms = Integer.parseInt(args[0]);
    double rate = Double.parseDouble(args[1]);
    int seconds = Integer.parseInt(args[2]);
    String jar = args[3];
    String classpath = args[4];
    double zipf = args.length > 5 ? Double.parseDouble(args[5]) : 0.6;
    int budget = args.length > 6 ? Integer.parseInt(args[6]) : 1500;
    Path work = Files.createTempDirectory("bench-pipeline");
    Vertx vertx = Vertx.vertx();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0)) {
      // A flatter Zipf than the capture scenarios: this measures throughput, so no room should need more
      // polls than minIntervalMs allows (a room over ~1,000 msg/s would outrun the window whatever we do).
      Simulator sim = Simulator.start(vertx, new SimulatorSettings("127.0.0.1", 0, rooms, rate, zipf, 1, 0, 60))
          .await(30, TimeUnit.SECONDS);
      int httpPort = BenchSupport.freePort();
      String base = "http://127.0.0.1:" + sim.port();
      String roomList = LongStream.rangeClosed(1_000_001, 1_000_000 + rooms).mapToObj(Long::toString)
          .collect(Collectors.joining(","));
      List<String> cmd = new ArrayList<>(List.of("java", "-Xmx1g"));
      // e.g. BENCH_RELAY_JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/relay.jfr to profile the relay
      String extra = System.getenv("BENCH_RELAY_JAVA_OPTS");
      if (extra != null && !extra.isBlank()) {
        cmd.addAll(List.of(extra.trim().split("\\s+")));
      }
      cmd.addAll(List.of("-jar", jar, "run",
          "--set", "kafka.bootstrapServers=" + kafka.bootstrapServers(),
          "--set", "kafka.topic=bench",
          "--set", "http.port=" + httpPort,
          "--set", "upstream.url=" + base + "/ajax/msg",
          "--set", "upstream.roomInitUrl=" + base + "/room/v1/Room/room_init",
          "--set", "upstream.requestsPerSecond=" + budget,
          // The poll pipeline (issue 3's figure). The default hybrid mode would also try to open a push stream
          // per room against the real push endpoints, which no machine here reaches: attempts that fail and
          // back off, 0.7-1.9 % of the relay's samples until 2026-12-02 (the quiet 3.60x included them).
          "--set", "upstream.mode=poll",
          "--set", "poll.strategy=adaptive",
          "--set", "poll.intervalMs=100",
          "--set", "poll.minIntervalMs=10",
          "--set", "rooms=" + roomList));
      Process relay = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(work.resolve("relay.log").toFile()).directory(new File(".")).start();
      String metricsUrl = "http://127.0.0.1:" + httpPort + "/metrics";
      try {
        // Generous: on a machine shared with other builds the relay may take minutes to resolve 1,000 rooms.
        long deadline = System.currentTimeMillis() + 240_000;
        while (true) {
          try {
            if (BenchSupport.metric(BenchSupport.get(metricsUrl), "danmaku_messages_published_total", "") > 0) {
              break;
            }
          } catch (Exception notYet) {
            if (!relay.isAlive()) {
              throw new IllegalStateException("the relay exited; see " + work.resolve("relay.log"));
            }
          }
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("the relay published nothing within 240 s; see " + work.resolve("relay.log"));
          }
          BenchSupport.sleep(500);
        }
        BenchSupport.sleep(10_000); // warm-up: JIT, adaptive intervals settle
        String s0 = BenchSupport.get(metricsUrl);
        double cpu0 = BenchSupport.cpuSeconds(relay.pid());
        long gen0 = sim.stats().getJsonObject("totals").getLong("generated");
        long t0 = System.nanoTime();
        BenchSupport.sleep(seconds * 1000L);
        String s1 = BenchSupport.get(metricsUrl);
        double cpu1 = BenchSupport.cpuSeconds(relay.pid());
        long gen1 = sim.stats().getJsonObject("totals").getLong("generated");
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double rss = BenchSupport.rssMiB(relay.pid());
        double published = BenchSupport.metric(s1, "danmaku_messages_published_total", "")
            - BenchSupport.metric(s0, "danmaku_messages_published_total", "");
        double polls = BenchSupport.metric(s1, "danmaku_polls_total", "")
            - BenchSupport.metric(s0, "danmaku_polls_total", "");
        double gaps = BenchSupport.metric(s1, "danmaku_gaps_total", "") - BenchSupport.metric(s0, "danmaku_gaps_total", "");
        double pollSeconds = BenchSupport.metric(s1, "danmaku_poll_duration_seconds_sum", "")
            - BenchSupport.metric(s0, "danmaku_poll_duration_seconds_sum", "");
        relay.destroy();
        relay.waitFor(60, TimeUnit.SECONDS);

        Process bare = new ProcessBuilder("java", "-Xmx1g", "-cp", classpath, BareProducer.class.getName(),
            kafka.bootstrapServers(), "bench", "bench-bare", Long.toString((long) published))
            .redirectError(work.resolve("bare.log").toFile()).start();
        String bareJson = new String(bare.getInputStream().readAllBytes()).trim();
        bare.waitFor(120, TimeUnit.SECONDS);
        io.vertx.core.json.JsonObject b = new io.vertx.core.json.JsonObject(bareJson);

        double relayRate = published / elapsed;
        double relayCpuPerM = (cpu1 - cpu0) / published * 1e6;
        double bareRate = b.getDouble("per_second");
        double bareCpuPerM = b.getDouble("cpu_seconds") / b.getLong("records") * 1e6;
        System.out.printf("pipeline benchmark: %d rooms, simulator %.0f msg/s (Zipf %.2f), budget %d req/s, %d s "
            + "measured after 10 s warm-up%n", rooms, rate, zipf, budget, seconds);
        System.out.printf("  generated by the simulator : %10.0f msg/s%n", (gen1 - gen0) / elapsed);
        System.out.printf("  relay polls                : %10.0f /s, mean round trip %.1f ms, gaps %.0f%n",
            polls / elapsed, pollSeconds / polls * 1000, gaps);
        System.out.printf("  %-27s: %10.0f msg/s   %8.1f CPU s per million msgs   RSS %.0f MiB%n",
            "relay (poll+dedupe+Kafka tx)", relayRate, relayCpuPerM, rss);
        System.out.printf("  %-27s: %10.0f msg/s   %8.1f CPU s per million msgs   (%d records)%n",
            "bare Kafka producer", bareRate, bareCpuPerM, b.getLong("records"));
        System.out.printf("  ratio relay/bare           : rate %.3f, CPU per message %.2f x%n",
            relayRate / bareRate, relayCpuPerM / bareCpuPerM);
      } finally {
        relay.destroyForcibly();
        sim.close();
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
