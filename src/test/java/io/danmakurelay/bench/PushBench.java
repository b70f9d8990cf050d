package io.danmakurelay.bench;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.PushConnectionStats;
import io.danmakurelay.sim.SimMessage;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The PUSH scenario of the capture benchmark (scripts/bench-push.sh, issue 11): 1,000 rooms, 1,000 msg/s in
 * all, one room at 300 msg/s, every push connection dropped by the simulator 30-60 s after it authenticated.
 * Runs the relay jar as a child process once per {@code upstream.mode} (poll, push, hybrid) against a fresh
 * simulator in this JVM and one embedded broker, and compares Kafka with the ground truth of a measured window:
 * capture, duplicates, what push alone could not see (messages sent while a room's connection was down), CPU
 * per message, publish delay and resident memory. Args: relayJar [--mode poll|push|hybrid]... [--warmup S]
 * [--window S] [--budget N].
 */
public final class PushBench {

  static final int ROOMS = 1000;
  static final long FIRST_ROOM = 1_000_001;
  static final long SEED = 42;
  static final double TOTAL_RATE = 1000;
  static final double HOT_RATE = 300;
  static final int DROP_MIN_S = 30;
  static final int DROP_MAX_S = 60;

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    List<String> modes = new ArrayList<>();
    int warmup = 20;
    int window = 60;
    int budget = 50;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--mode" -> modes.add(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--budget" -> budget = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (modes.isEmpty()) {
      modes.addAll(List.of("poll", "push", "hybrid"));
    }
    // The Zipf rates of every room but the first sum to TOTAL_RATE - HOT_RATE; the first is set to HOT_RATE.
    double harmonic = 0;
    for (int i = 1; i <= ROOMS; i++) {
      harmonic += Math.pow(i, -SimulatorSettings.DEFAULT_ZIPF);
    }
    double simRate = (TOTAL_RATE - HOT_RATE) / (1 - 1 / harmonic);
    Path work = Files.createTempDirectory("bench-push");
    System.out.printf(Locale.ROOT, "push benchmark %s: %d rooms, %.0f msg/s (room %d at %.0f), drops every %d-%d s"
            + " per connection, budget %d req/s, warm-up %d s after every room is up, window %d s; logs in %s%n",
        Instant.now(), ROOMS, TOTAL_RATE, FIRST_ROOM, HOT_RATE, DROP_MIN_S, DROP_MAX_S, budget, warmup, window, work);
    List<Result> results = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0)) {
      for (String mode : modes) {
        Result r = run(vertx, kafka, mode, simRate, budget, warmup, window, jar, work);
        results.add(r);
        System.out.println(Result.HEADER);
        System.out.println(r.row());
        System.out.flush();
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.out.println();
    System.out.println(Result.HEADER);
    results.forEach(r -> System.out.println(r.row()));
    Result poll = results.stream().filter(r -> r.mode.equals("poll")).findFirst().orElse(null);
    for (Result r : results) {
      if (poll != null && r != poll) {
        System.out.printf(Locale.ROOT, "%s: RSS %.0f MiB vs poll %.0f MiB with the same rooms: %.1f KiB per push"
            + " connection%n", r.mode, r.rssMiB, poll.rssMiB, (r.rssMiB - poll.rssMiB) * 1024 / ROOMS);
      }
    }
    System.out.println(Result.LEGEND);
  }

  private static Result run(Vertx vertx, EmbeddedKafka kafka, String mode, double simRate, int budget, int warmup,
      int window, String jar, Path work) throws Exception {
    String topic = "push-" + mode + "-" + System.currentTimeMillis();
    Simulator sim = Simulator.start(vertx, SimulatorSettings.defaults(0, ROOMS, simRate, SEED))
        .await(30, TimeUnit.SECONDS);
    sim.setRate(FIRST_ROOM, HOT_RATE);
    sim.control(new JsonObject().put("op", "push").put("fault", "drop-every").put("min_s", DROP_MIN_S)
        .put("max_s", DROP_MAX_S));
    int httpPort = BenchSupport.freePort();
    String base = "http://127.0.0.1:" + sim.port();
    String roomList = LongStream.range(FIRST_ROOM, FIRST_ROOM + ROOMS).mapToObj(Long::toString)
        .collect(Collectors.joining(","));
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx1g", "-jar", jar, "run",
        "--set", "kafka.bootstrapServers=" + kafka.bootstrapServers(),
        "--set", "kafka.topic=" + topic,
        "--set", "kafka.eventsTopic=" + topic + "-events",
        "--set", "kafka.stateTopic=" + topic + "-state",
        "--set", "http.port=" + httpPort,
        "--set", "upstream.mode=" + mode,
        "--set", "upstream.api=gethistory",
        "--set", "upstream.url=" + base + "/xlive/web-room/v1/dM/gethistory",
        "--set", "upstream.roomInitUrl=" + base + "/room/v1/Room/room_init",
        "--set", "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
        "--set", "upstream.navUrl=" + base + "/x/web-interface/nav",
        "--set", "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
        "--set", "upstream.requestsPerSecond=" + budget,
        "--set", "rooms=" + roomList));
    Path log = work.resolve(mode + ".log");
    Process relay = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .directory(new File(".")).start();
    String api = "http://127.0.0.1:" + httpPort;
    try {
      long started = System.currentTimeMillis();
      awaitUp(api, relay, log, sim, mode);
      double upAfterS = (System.currentTimeMillis() - started) / 1000.0;
      BenchSupport.sleep(warmup * 1000L);

      String m0 = BenchSupport.get(api + "/metrics");
      long requests0 = sim.stats().getJsonObject("totals").getLong("requests");
      double cpu0 = BenchSupport.cpuSeconds(relay.pid());
      long t0 = System.currentTimeMillis();
      BenchSupport.sleep(window * 1000L);
      long t1 = System.currentTimeMillis();
      double cpu1 = BenchSupport.cpuSeconds(relay.pid());
      double rss = BenchSupport.rssMiB(relay.pid());
      long requests1 = sim.stats().getJsonObject("totals").getLong("requests");
      String m1 = BenchSupport.get(api + "/metrics");
      double load = CaptureBench.loadAverage();
      // Messages of the window's last moments reach Kafka with the next poll (poll mode: a quiet room waits up to
      // poll.maxIntervalMs) or the next backfill (a connection down at the window's end).
      BenchSupport.sleep(mode.equals("poll") ? 63_000 : 20_000);
      awaitDelivered(api);
      // Stopped before the ground truth is read, so that every message it published is in the truth.
      relay.destroy();
      if (!relay.waitFor(60, TimeUnit.SECONDS)) {
        relay.destroyForcibly();
      }
      List<PushConnectionStats> connections = sim.pushConnections();
      Map<Long, List<SimMessage>> truth = new HashMap<>();
      Map<Long, BitSet> pushed = new HashMap<>();
      Map<Long, BitSet> polled = new HashMap<>();
      for (long room : sim.roomIds()) {
        truth.put(room, sim.messages(room));
        pushed.put(room, new BitSet());
        polled.put(room, sim.polledSeqs(room));
      }
      for (PushConnectionStats c : connections) {
        BitSet seqs = pushed.get(c.room());
        if (seqs != null) {
          for (int seq : c.messageSeqs()) {
            seqs.set(seq);
          }
        }
      }
      if (!sim.stats().getJsonObject("totals").getBoolean("messages_complete")) {
        throw new IllegalStateException("the simulator's ground truth is truncated; shorten the run");
      }
      List<ConsumerRecord<String, byte[]>> records = CaptureBench.consumeAll(kafka.bootstrapServers(), topic);
      double seconds = (t1 - t0) / 1000.0;
      double published = BenchSupport.metric(m1, "danmaku_messages_published_total", "")
          - BenchSupport.metric(m0, "danmaku_messages_published_total", "");
      double reconnects = BenchSupport.metric(m1, "danmaku_push_reconnects_total", "")
          - BenchSupport.metric(m0, "danmaku_push_reconnects_total", "");
      double immediate = BenchSupport.metric(m1, "danmaku_push_reconnects_immediate_total", "")
          - BenchSupport.metric(m0, "danmaku_push_reconnects_immediate_total", "");
      return Result.of(mode, upAfterS, truth, pushed, polled, records, t0, t1, (cpu1 - cpu0), published, reconnects,
          immediate, (requests1 - requests0) / seconds, rss, load);
    } finally {
      relay.destroyForcibly();
      sim.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Waits (up to 300 s) until the relay holds nothing for Kafka: on a loaded machine the sink falls behind, and a
   * relay stopped with a backlog would count as messages not captured what it only had not delivered yet.
   */
  private static void awaitDelivered(String api) throws Exception {
    long deadline = System.currentTimeMillis() + 300_000;
    while (System.currentTimeMillis() < deadline) {
      if (BenchSupport.metric(BenchSupport.get(api + "/metrics"), "danmaku_kafka_buffered_messages", "") == 0) {
        return;
      }
      BenchSupport.sleep(1000);
    }
    System.out.println("  the relay still held messages for Kafka after 300 s of draining");
  }

  /** Poll mode: every room resolved. Push modes: 99 % of the rooms' push streams authenticated at least once. */
  private static void awaitUp(String api, Process relay, Path log, Simulator sim, String mode) throws Exception {
    long deadline = System.currentTimeMillis() + 420_000;
    while (true) {
      if (!relay.isAlive()) {
        throw new IllegalStateException("the relay exited; see " + log);
      }
      try {
        if (mode.equals("poll")) {
          var rooms = new JsonObject(BenchSupport.get(api + "/api/rooms")).getJsonArray("rooms");
          if (rooms.size() == ROOMS && rooms.stream().allMatch(r -> ((JsonObject) r).getValue("room_id") != null)) {
            return;
          }
        } else {
          Set<Long> up = new HashSet<>();
          sim.pushConnections().forEach(c -> {
            if (c.authedAt() > 0) {
              up.add(c.room());
            }
          });
          // 99 %: on a loaded machine the last few rooms can take minutes (room_init and getDanmuInfo timing out);
          // a room not up yet is still measured, and push alone loses its messages (notPush).
          if (up.size() >= ROOMS * 99 / 100) {
            return;
          }
        }
      } catch (java.io.IOException notYet) {
        // the relay's HTTP server is not up yet
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the relay did not bring 99 % of the rooms up within 420 s; see " + log);
      }
      BenchSupport.sleep(1000);
    }
  }

  /** One mode's figures over the window. */
  record Result(String mode, double upAfterS, long generated, long captured, long duplicates, long unmatched,
      long notPushed, long outrun, long hotGenerated, long hotCaptured, double delayP50, double delayP99, double cpuCores,
      double cpuMicrosPerMessage, double reconnects, double immediate, double requestsPerSecond, double rssMiB,
      double load) {

    static final String HEADER = String.format(
        "%-6s %5s %7s %7s %7s %4s %5s %7s %6s %8s %7s %7s %7s %5s %6s %6s %6s %6s %5s %5s",
        "mode", "up_s", "generatd", "captured", "capt%", "dups", "unmat", "notPush", "outrun", "reach%", "hot%",
        "dly50", "dly99",
        "cpu", "us/msg", "reconn", "immed", "req/s", "rssMB", "load");
    static final String LEGEND = """
        generatd/captured: messages sent in the window (simulator ground truth) / found in Kafka (any time later)
        dups: records of a room and id_str already seen; unmat: records matching no sent message
        notPush: messages of the window that the simulator never pushed to any connection of the relay (sent while
          the room's connection was down, or before it first connected): what push alone cannot capture
        outrun: messages of the window that the relay could not have seen at all: pushed to no connection of it and
          in the gethistory window of no poll answer the simulator served it (Simulator.polledSeqs; a backfill
          poll after a reconnect finds at most the last 10 of a room, so a busy room's down time outruns it)
        reach%: capture of what was reachable, captured / (generatd - outrun); goal 100 %
        hot%: capture of the 300 msg/s room; dly50/dly99: Kafka CreateTime - send time, ms, captured messages
        cpu: relay CPU cores in the window; us/msg: relay CPU microseconds per message published in the window
        reconn: push reconnects in the window, immed: those made at once after a healthy connection dropped
        req/s: upstream HTTP requests per second (all kinds)
        rssMB: relay resident memory at the window's end; load: 1-min load average (other builds share the machine)""";

    static Result of(String mode, double upAfterS, Map<Long, List<SimMessage>> truth, Map<Long, BitSet> pushed,
        Map<Long, BitSet> polled,
        List<ConsumerRecord<String, byte[]>> records, long t0, long t1, double cpuSeconds, double published,
        double reconnects, double immediate, double requestsPerSecond, double rssMiB, double load) {
      Map<String, SimMessage> byId = new HashMap<>();
      for (List<SimMessage> messages : truth.values()) {
        for (SimMessage m : messages) {
          byId.put(m.roomId() + "/" + m.idStr(), m);
        }
      }
      Set<String> seen = new HashSet<>();
      long duplicates = 0;
      long unmatched = 0;
      long captured = 0;
      long hotCaptured = 0;
      List<Long> delays = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r : records) {
        JsonObject v = new JsonObject(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
        String key = v.getLong("room_id") + "/" + v.getString("id");
        if (!seen.add(key)) {
          duplicates++;
          continue;
        }
        SimMessage m = byId.get(key);
        if (m == null) {
          unmatched++;
        } else if (m.tsMs() >= t0 && m.tsMs() < t1) {
          captured++;
          delays.add(r.timestamp() - m.tsMs());
          if (m.roomId() == FIRST_ROOM) {
            hotCaptured++;
          }
        }
      }
      long generated = 0;
      long notPushed = 0;
      long outrun = 0;
      long hotGenerated = 0;
      for (var e : truth.entrySet()) {
        BitSet seqs = pushed.get(e.getKey());
        BitSet inPolls = polled.get(e.getKey());
        for (SimMessage m : e.getValue()) {
          if (m.tsMs() >= t0 && m.tsMs() < t1) {
            generated++;
            if (!seqs.get(m.seq())) {
              notPushed++;
              if (inPolls == null || !inPolls.get(m.seq())) {
                outrun++;
              }
            }
            if (m.roomId() == FIRST_ROOM) {
              hotGenerated++;
            }
          }
        }
      }
      double seconds = (t1 - t0) / 1000.0;
      return new Result(mode, upAfterS, generated, captured, duplicates, unmatched, notPushed, outrun, hotGenerated,
          hotCaptured, CaptureBenchMatcher.percentile(delays, 0.50), CaptureBenchMatcher.percentile(delays, 0.99),
          cpuSeconds / seconds, published > 0 ? cpuSeconds * 1e6 / published : 0, reconnects, immediate,
          requestsPerSecond, rssMiB, load);
    }

    String row() {
      return String.format(Locale.ROOT, "%-6s %5.0f %7d %7d %6.2f%% %4d %5d %7d %6d %7.2f%% %6.2f%% %7.0f %7.0f %5.2f"
              + " %6.0f %6.0f %6.0f %6.1f %5.0f %5.2f",
          mode, upAfterS, generated, captured, 100.0 * captured / Math.max(1, generated), duplicates, unmatched,
          notPushed, outrun, 100.0 * captured / Math.max(1, generated - outrun), 100.0 * hotCaptured / Math.max(1, hotGenerated), delayP50, delayP99, cpuCores,
          cpuMicrosPerMessage, reconnects, immediate, requestsPerSecond, rssMiB, load);
    }
  }
}
