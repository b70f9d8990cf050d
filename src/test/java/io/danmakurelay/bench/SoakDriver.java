package io.danmakurelay.bench;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.SimMessage;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The soak (scripts/soak.sh): the simulator and an embedded broker in this process, the relay jar as a child
 * process, steady modest traffic for N minutes with periodic faults (upstream bans, broker restarts, relay
 * SIGTERM restarts, one kill -9), then Kafka compared with the ground truth and the relay's heap and RSS series.
 * Args: minutes relayJar workDir.
 */
public final class SoakDriver {

  private static final int ROOMS = 50;
  private static final double TOTAL_RATE = 20;
  private static final long SEED = 7;
  private static final String TOPIC = "danmaku";
  private static final int BAN_SECONDS = 15;
  private static final int BROKER_DOWN_SECONDS = 20;
  /** poll.RiskControlBackoff.FULL_RECOVERY_MS: how long the relay takes to regain its whole budget after a ban. */
  private static final long RISK_RECOVERY_MS = 120_000;
  private static final long SAMPLE_EVERY_MS = 5_000;
  private static final long WARM_UP_MS = 10_000;
  private static final long FIRST_FAULT_S = 20;
  private static final long FAULT_EVERY_S = 60;
  /** A fault slot needs this long to play out and recover before the run ends. */
  private static final long FAULT_SLOT_S = 50;

  private final int minutes;
  private final String jar;
  private final Path work;
  private final int httpPort;
  private final String metricsUrl;
  private final List<SoakLedger.Fault> faults = Collections.synchronizedList(new ArrayList<>());
  private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
  /** Last sample of each relay incarnation: its counters die with it. */
  private final Map<Integer, Sample> lastOfIncarnation = Collections.synchronizedMap(new LinkedHashMap<>());
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());
  private Simulator sim;
  private EmbeddedKafka kafka;
  private volatile Process relay;
  private volatile int incarnation;
  private long t0;

  /** One observation of the relay process. */
  record Sample(long atMs, int incarnation, double heapMiB, double rssMiB, double published, double gaps,
      double okPolls, double buffered) {}

  private SoakDriver(int minutes, String jar, Path work) throws Exception {
    this.minutes = minutes;
    this.jar = jar;
    this.work = work;
    this.httpPort = BenchSupport.freePort();
    this.metricsUrl = "http://127.0.0.1:" + httpPort + "/metrics";
  }

  public static void main(String[] args) throws Exception {
    int minutes = Integer.parseInt(args[0]);
    Path work = Path.of(args[2]);
    Files.createDirectories(work);
    new SoakDriver(minutes, args[1], work).run();
    System.exit(0);
  }

  private void run() throws Exception {
    Vertx vertx = Vertx.vertx();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    kafka = EmbeddedKafka.start(work.resolve("kafka"), 0);
    try {
      sim = Simulator.start(vertx, SimulatorSettings.defaults(0, ROOMS, TOTAL_RATE, SEED)).await(30, TimeUnit.SECONDS);
      sim.pause();
      startRelay();
      awaitPolling(0);
      sim.resume();
      long resumedAt = System.currentTimeMillis();
      sampler.scheduleAtFixedRate(this::sample, 0, SAMPLE_EVERY_MS, TimeUnit.MILLISECONDS);
      BenchSupport.sleep(WARM_UP_MS);
      t0 = resumedAt;
      long runEnd = t0 + minutes * 60_000L;
      List<String> plan = plan(minutes * 60L);
      for (int slot = 0; slot < plan.size(); slot++) {
        sleepUntil(t0 + (FIRST_FAULT_S + slot * FAULT_EVERY_S) * 1000);
        switch (plan.get(slot)) {
          case "ban" -> ban();
          case "broker" -> restartBroker();
          case "sigterm" -> restartRelay(false);
          default -> restartRelay(true);
        }
      }
      sleepUntil(runEnd);
      sim.pause();
      long pausedAt = System.currentTimeMillis();
      event("simulator paused; waiting for the relay to drain");
      // The last windows stay visible: let the slowest room's poll come round, then wait for the buffer.
      BenchSupport.sleep(15_000);
      long drainDeadline = System.currentTimeMillis() + 60_000;
      while (scrape("danmaku_kafka_buffered_messages", "") > 0 && System.currentTimeMillis() < drainDeadline) {
        BenchSupport.sleep(500);
      }
      sampler.shutdownNow();
      sample();
      stopRelay(false);
      report(pausedAt);
    } finally {
      sampler.shutdownNow();
      Process p = relay;
      if (p != null) {
        p.destroyForcibly();
      }
      if (sim != null) {
        sim.close();
      }
      kafka.close();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The fault of each slot: bans, broker and relay restarts in turn, the single kill -9 in the middle slot. */
  static List<String> plan(long seconds) {
    List<String> rotation = List.of("ban", "broker", "sigterm");
    int slots = 0;
    while (FIRST_FAULT_S + slots * FAULT_EVERY_S + FAULT_SLOT_S <= seconds) {
      slots++;
    }
    List<String> plan = new ArrayList<>();
    int turn = 0;
    for (int slot = 0; slot < slots; slot++) {
      plan.add(slot == slots / 2 && slots >= 2 ? "kill -9" : rotation.get(turn++ % rotation.size()));
    }
    return plan;
  }

  private void ban() throws Exception {
    long start = System.currentTimeMillis();
    double ok = scrape("danmaku_polls_total", "outcome=\"ok\"");
    sim.ban(BAN_SECONDS);
    event("upstream ban for " + BAN_SECONDS + " s (every request answered HTTP 412)");
    sleepUntil(start + BAN_SECONDS * 1000L);
    // The relay's own pause may outlast the ban (a 412 met after a first pause doubles it): the fault lasts
    // until its risk-control pause is over and a poll succeeded.
    long deadline = System.currentTimeMillis() + 600_000;
    while (System.currentTimeMillis() < deadline && (scrape("danmaku_risk_control_active", "") > 0
        || scrape("danmaku_polls_total", "outcome=\"ok\"") <= ok)) {
      BenchSupport.sleep(200);
      if (scrape("danmaku_risk_control_active", "") > 0) {
        ok = scrape("danmaku_polls_total", "outcome=\"ok\"");
      }
    }
    long end = System.currentTimeMillis();
    faults.add(new SoakLedger.Fault("upstream ban", start, end));
    // After risk control the relay deliberately polls slower: its budget is halved and climbs back linearly.
    faults.add(new SoakLedger.Fault("slow-down after a ban (budget halved, regained over 120 s)", end,
        end + RISK_RECOVERY_MS, true));
    event(String.format("  relay's risk-control pause over and polling again %.1f s after the ban started",
        (end - start) / 1000.0));
  }

  private void restartBroker() throws Exception {
    long start = System.currentTimeMillis();
    int port = kafka.port();
    kafka.close();
    event("broker stopped for " + BROKER_DOWN_SECONDS + " s");
    BenchSupport.sleep(BROKER_DOWN_SECONDS * 1000L);
    double buffered = scrape("danmaku_kafka_buffered_messages", "");
    kafka = EmbeddedKafka.start(work.resolve("kafka"), port);
    if (kafka.port() != port) {
      throw new IllegalStateException("the broker came back on port " + kafka.port() + " instead of " + port);
    }
    long deadline = System.currentTimeMillis() + 120_000;
    while (scrape("danmaku_kafka_buffered_messages", "") > 0 && System.currentTimeMillis() < deadline) {
      BenchSupport.sleep(200);
    }
    long end = System.currentTimeMillis();
    faults.add(new SoakLedger.Fault("broker restart", start, end));
    event(String.format("  broker back; %.0f messages were buffered, delivered %.1f s after the stop", buffered,
        (end - start) / 1000.0));
  }

  private void restartRelay(boolean kill) throws Exception {
    long start = System.currentTimeMillis();
    stopRelay(kill);
    startRelay();
    awaitPolling(0);
    long end = System.currentTimeMillis();
    faults.add(new SoakLedger.Fault(kill ? "relay kill -9" : "relay restart (SIGTERM)", start, end));
    event(String.format("  relay #%d polling %.1f s after the %s", incarnation, (end - start) / 1000.0,
        kill ? "kill -9" : "SIGTERM"));
  }

  private void stopRelay(boolean kill) throws Exception {
    Process p = relay;
    long start = System.currentTimeMillis();
    if (kill) {
      p.destroyForcibly();
    } else {
      p.destroy();
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("relay #" + incarnation + " did not exit within 60 s");
    }
    relay = null;
    event(String.format("relay #%d %s, exited in %.1f s (exit code %d)", incarnation,
        kill ? "killed with SIGKILL" : "sent SIGTERM", (System.currentTimeMillis() - start) / 1000.0, p.exitValue()));
  }

  private void startRelay() throws Exception {
    int next = incarnation + 1;
    Path config = work.resolve("empty-config.json");
    Files.writeString(config, "{}");
    String base = "http://127.0.0.1:" + sim.port();
    String roomList = LongStream.rangeClosed(1_000_001, 1_000_000 + ROOMS).mapToObj(Long::toString)
        .collect(Collectors.joining(","));
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", jar, "run", "--config", config.toString(),
        "--set", "kafka.bootstrapServers=" + kafka.bootstrapServers(),
        "--set", "kafka.topic=" + TOPIC,
        "--set", "http.port=" + httpPort,
        "--set", "upstream.url=" + base + "/ajax/msg",
        "--set", "upstream.roomInitUrl=" + base + "/room/v1/Room/room_init",
        "--set", "upstream.requestsPerSecond=40",
        "--set", "poll.strategy=adaptive",
        "--set", "poll.intervalMs=1000",
        "--set", "poll.minIntervalMs=250",
        "--set", "poll.maxIntervalMs=5000",
        "--set", "rooms=" + roomList));
    relay = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("relay-" + next + ".log").toFile()))
        .directory(new File(".")).start();
    incarnation = next;
    event("relay #" + next + " started (pid " + relay.pid() + ")");
  }

  /** Waits until the current relay has answered more than {@code okPolls} successful polls. */
  private void awaitPolling(double okPolls) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      Process p = relay;
      if (p == null || !p.isAlive()) {
        throw new IllegalStateException("relay #" + incarnation + " exited; see " + work);
      }
      try {
        if (BenchSupport.metric(BenchSupport.get(metricsUrl), "danmaku_polls_total", "outcome=\"ok\"") > okPolls) {
          return;
        }
      } catch (Exception notYet) {
        // not listening yet
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("relay #" + incarnation + " did not poll within 120 s; see " + work);
      }
      BenchSupport.sleep(100);
    }
  }

  /** A metric of the current relay, or 0 while none answers. */
  private double scrape(String name, String labels) {
    try {
      return BenchSupport.metric(BenchSupport.get(metricsUrl), name, labels);
    } catch (Exception down) {
      return 0;
    }
  }

  private void sample() {
    Process p = relay;
    int which = incarnation;
    if (p == null || !p.isAlive()) {
      return;
    }
    try {
      String s = BenchSupport.get(metricsUrl);
      Sample sample = new Sample(System.currentTimeMillis(), which,
          BenchSupport.metric(s, "jvm_memory_used_bytes", "area=\"heap\"") / (1 << 20),
          BenchSupport.rssMiB(p.pid()),
          BenchSupport.metric(s, "danmaku_messages_published_total", ""),
          BenchSupport.metric(s, "danmaku_gaps_total", ""),
          BenchSupport.metric(s, "danmaku_polls_total", "outcome=\"ok\""),
          BenchSupport.metric(s, "danmaku_kafka_buffered_messages", ""));
      samples.add(sample);
      lastOfIncarnation.put(which, sample);
    } catch (Exception notServing) {
      // starting or stopping: no sample this time
    }
  }

  private List<SoakLedger.Published> readKafka() {
    List<SoakLedger.Published> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(TOPIC).stream()
          .map(info -> new TopicPartition(TOPIC, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 120_000;
      while (System.currentTimeMillis() < deadline
          && partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          out.add(SoakLedger.published(new JsonObject(new String(r.value(), StandardCharsets.UTF_8))));
        }
      }
    }
    return out;
  }

  private void report(long pausedAt) {
    Map<Long, List<SimMessage>> truth = new HashMap<>();
    for (long room : sim.roomIds()) {
      truth.put(room, sim.messages(room));
    }
    JsonObject totals = sim.stats().getJsonObject("totals");
    List<SoakLedger.Published> published = readKafka();
    dump(truth, published);
    SoakLedger ledger = new SoakLedger();
    ledger.compare(truth, published, faults);
    double publishedMetric = 0;
    double gapsMetric = 0;
    for (Sample s : lastOfIncarnation.values()) {
      publishedMetric += s.published();
      gapsMetric += s.gaps();
    }

    PrintLine out = new PrintLine();
    out.line("soak: %d rooms, %.0f msg/s (Zipf %.1f, seed %d), adaptive polling with a 40 req/s budget, %d min "
        + "of traffic (%s .. %s UTC)", ROOMS, TOTAL_RATE, SimulatorSettings.DEFAULT_ZIPF, SEED, minutes,
        Instant.ofEpochMilli(t0).toString().substring(11, 19), Instant.ofEpochMilli(pausedAt).toString().substring(11, 19));
    out.line("");
    out.line("events (t = seconds since traffic started):");
    events.forEach(e -> out.line("  %s", e));
    out.line("");
    out.line("messages");
    out.line("  generated by the simulator           %8d  (messages_complete=%s, upstream requests %d, 412s %d)",
        ledger.generated, totals.getBoolean("messages_complete"), totals.getLong("requests"),
        totals.getLong("requests_rejected_412"));
    out.line("  records in Kafka (read_committed)    %8d", ledger.records);
    out.line("  published per the relays' metrics    %8.0f  (sum of each incarnation's last 5 s sample; a kill -9 "
        + "loses the tail)", publishedMetric);
    out.line("  duplicates (records beyond the truth) %7d  (dedupe ids seen twice: %d)", ledger.duplicates,
        ledger.repeatedIds);
    out.line("  out of order within a room list      %8d", ledger.outOfOrder);
    out.line("  lost (generated, not in Kafka)       %8d  (%.3f %%)", ledger.lost,
        ledger.generated == 0 ? 0 : 100.0 * ledger.lost / ledger.generated);
    ledger.lostByCause.forEach((cause, n) -> out.line("    %-52s %6d", cause, n));
    out.line("  gaps: %d runs of lost messages in the ground truth; danmaku_gaps_total summed over the relays: %.0f",
        ledger.runs.size(), gapsMetric);
    ledger.runs.stream().limit(40).forEach(r -> out.line("    room %d %-5s %3d lost, t=%6.1f..%6.1f s: %s",
        r.room(), r.list(), r.count(), (r.firstTsMs() - t0) / 1000.0, (r.lastTsMs() - t0) / 1000.0, r.cause()));
    if (ledger.runs.size() > 40) {
      out.line("    ... %d more runs", ledger.runs.size() - 40);
    }
    out.line("");
    memory(out);
    System.out.print(out);
  }

  /** The raw material of the verdict, for a closer look: truth.jsonl and kafka.jsonl in the work directory. */
  private void dump(Map<Long, List<SimMessage>> truth, List<SoakLedger.Published> published) {
    try (var t = Files.newBufferedWriter(work.resolve("truth.jsonl"));
        var k = Files.newBufferedWriter(work.resolve("kafka.jsonl"))) {
      for (List<SimMessage> messages : truth.values()) {
        for (SimMessage m : messages) {
          t.write(new JsonObject().put("room", m.roomId()).put("list", m.list().wireName()).put("seq", m.seq())
              .put("ts", m.tsMs()).put("t", (m.tsMs() - t0) / 1000.0).put("repeat", m.repeat())
              .put("key", SoakLedger.key(m.uid(), m.nickname(), m.text(), m.timeline(), m.rnd())).encode());
          t.newLine();
        }
      }
      for (SoakLedger.Published p : published) {
        k.write(new JsonObject().put("room", p.room()).put("list", p.list()).put("id", p.id())
            .put("fetched_at", p.fetchedAt()).put("t", (p.fetchedAt() - t0) / 1000.0).put("key", p.key()).encode());
        k.newLine();
      }
    } catch (java.io.IOException e) {
      System.err.println("could not write the dumps: " + e);
    }
  }

  private void memory(PrintLine out) {
    List<Sample> all = new ArrayList<>(samples);
    if (all.isEmpty()) {
      out.line("memory: no samples");
      return;
    }
    double peakHeap = all.stream().mapToDouble(Sample::heapMiB).max().orElse(0);
    double peakRss = all.stream().mapToDouble(Sample::rssMiB).max().orElse(0);
    out.line("memory of the relay (-Xmx256m; heap = jvm_memory_used_bytes{area=\"heap\"}, every %d s; %d samples)",
        SAMPLE_EVERY_MS / 1000, all.size());
    out.line("  peak heap %.1f MiB, peak RSS %.1f MiB", peakHeap, peakRss);
    out.line("  per relay incarnation: heap min / median / max, RSS first / last");
    Map<Integer, List<Sample>> byIncarnation = all.stream()
        .collect(Collectors.groupingBy(Sample::incarnation, LinkedHashMap::new, Collectors.toList()));
    byIncarnation.forEach((n, list) -> {
      double[] heap = list.stream().mapToDouble(Sample::heapMiB).sorted().toArray();
      out.line("    #%d  t=%6.0f..%6.0f s  heap %5.1f / %5.1f / %5.1f MiB   RSS %5.1f -> %5.1f MiB", n,
          (list.get(0).atMs() - t0) / 1000.0, (list.get(list.size() - 1).atMs() - t0) / 1000.0,
          heap[0], heap[heap.length / 2], heap[heap.length - 1], list.get(0).rssMiB(),
          list.get(list.size() - 1).rssMiB());
    });
    int rows = 12;
    out.line("  series (about %d rows): t s, relay, heap MiB, RSS MiB, buffered msgs", rows);
    int step = Math.max(1, all.size() / rows);
    for (int i = 0; i < all.size(); i += step) {
      Sample s = all.get(i);
      out.line("    %6.0f  #%d  %6.1f  %6.1f  %6.0f", (s.atMs() - t0) / 1000.0, s.incarnation(), s.heapMiB(),
          s.rssMiB(), s.buffered());
    }
  }

  private void event(String text) {
    long at = t0 == 0 ? 0 : System.currentTimeMillis() - t0;
    String line = String.format("t=%6.1f  %s", at / 1000.0, text);
    events.add(line);
    System.err.println(line);
  }

  private static void sleepUntil(long epochMs) {
    long left = epochMs - System.currentTimeMillis();
    if (left > 0) {
      BenchSupport.sleep(left);
    }
  }

  /** Collects the report's lines. */
  private static final class PrintLine {
    private final StringBuilder text = new StringBuilder();

    void line(String format, Object... args) {
      text.append(String.format(format, args)).append('\n');
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }
}
