package io.danmakurelay.bench;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.poll.CaptureSimulation;
import io.danmakurelay.sim.SimMessage;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
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
 * The capture benchmark (scripts/bench-capture.sh, issue 6): for each scenario and poll strategy, runs the
 * simulator in this JVM, the relay jar as a child process (its own CPU) and an embedded broker, then compares
 * the records in Kafka with the simulator's ground truth over a measured window. Prints one table row per run.
 * Besides the table it prints, per run, where the losses are (busiest rooms against the rest), the rooms with
 * the most gaps and the relay's rate estimates against the true rates, to explain a figure rather than just
 * state it. Args: relayJar [--quick] [--scenario S1|S2|LIVE]... [--strategy fixed|adaptive]... [--warmup S]
 * [--window S] [--api ajax-msg|gethistory].
 */
public final class CaptureBench {

  private static final int ROOMS = 1000;
  private static final long FIRST_ROOM = 1_000_001;
  private static final long SEED = 42;
  /**
   * Messages generated near the end of the window reach Kafka at the room's next poll, and a quiet room is
   * polled only every maxIntervalMs (60 s): the relay keeps running this long after the window.
   */
  private static final int DRAIN_SECONDS = 63;

  /** One traffic set-up: rooms, total rate, the relay's budget, and whether some rooms go live and offline. */
  record Scenario(String name, double totalRate, int budget, boolean liveRooms) {}

  static final List<Scenario> SCENARIOS = List.of(
      new Scenario("S1", 300, 50, false),
      new Scenario("S2", 1000, 100, false),
      new Scenario("LIVE", 300, 50, true));

  /** Rooms of the Zipf tail that are silent, go live at 50 msg/s for part of the window, then go silent again. */
  static final long[] LIVE_ROOMS = {1_000_600, 1_000_700, 1_000_800, 1_000_900};
  static final double LIVE_RATE = 50;
  /**
   * Zipf ranks (room id = FIRST_ROOM + rank - 1) that a WebSocket client of the driver subscribes to for the whole
   * run: the relay polls them within {@code poll.watchedMaxDelayMs}, out of the same budget. From busy to quiet,
   * none of them a LIVE room.
   */
  static final int[] WATCHED_RANKS = {10, 50, 200, 500, 950};

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    List<String> scenarios = new ArrayList<>();
    List<String> strategies = new ArrayList<>();
    int warmup = 30;
    int window = 60;
    String api = "ajax-msg";
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> {
          warmup = 15;
          window = 20;
        }
        case "--scenario" -> scenarios.add(args[++i].toUpperCase(Locale.ROOT));
        case "--strategy" -> strategies.add(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--api" -> api = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (scenarios.isEmpty()) {
      SCENARIOS.forEach(s -> scenarios.add(s.name()));
    }
    if (strategies.isEmpty()) {
      strategies.addAll(List.of("fixed", "adaptive"));
    }
    Path work = Files.createTempDirectory("bench-capture");
    System.out.printf("capture benchmark %s: %d rooms, Zipf 1.1, seed %d, api %s, warm-up %d s after every room"
        + " is resolved, window %d s, drain %d s; logs in %s%n", Instant.now(), ROOMS, SEED, api, warmup, window,
        DRAIN_SECONDS, work);
    List<String> rows = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0)) {
      for (String name : scenarios) {
        Scenario scenario = SCENARIOS.stream().filter(s -> s.name().equals(name)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("unknown scenario " + name + " (S1, S2, LIVE)"));
        for (String strategy : strategies) {
          Result r = run(vertx, kafka, scenario, strategy, api, warmup, window, jar, work);
          rows.add(r.row());
          System.out.println(r.row());
          System.out.flush();
        }
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.out.println();
    System.out.println(Result.HEADER);
    rows.forEach(System.out::println);
    System.out.println(Result.LEGEND);
  }

  private static Result run(Vertx vertx, EmbeddedKafka kafka, Scenario scenario, String strategy, String api,
      int warmup, int window, String jar, Path work) throws Exception {
    String tag = scenario.name().toLowerCase(Locale.ROOT) + "-" + strategy;
    String topic = "capture-" + tag + "-" + System.currentTimeMillis();
    Simulator sim = Simulator.start(vertx, SimulatorSettings.defaults(0, ROOMS, scenario.totalRate(), SEED))
        .await(30, TimeUnit.SECONDS);
    if (scenario.liveRooms()) {
      for (long room : LIVE_ROOMS) {
        sim.setRate(room, 0);
      }
    }
    int httpPort = BenchSupport.freePort();
    String base = "http://127.0.0.1:" + sim.port();
    String roomList = LongStream.range(FIRST_ROOM, FIRST_ROOM + ROOMS).mapToObj(Long::toString)
        .collect(Collectors.joining(","));
    String path = api.equals("gethistory") ? "/xlive/web-room/v1/dM/gethistory" : "/ajax/msg";
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx1g", "-jar", jar, "run",
        "--set", "kafka.bootstrapServers=" + kafka.bootstrapServers(),
        "--set", "kafka.topic=" + topic,
        "--set", "kafka.stateTopic=" + topic + "-state",
        "--set", "http.port=" + httpPort,
        "--set", "upstream.mode=poll",
        "--set", "upstream.api=" + api,
        "--set", "upstream.url=" + base + path,
        "--set", "upstream.roomInitUrl=" + base + "/room/v1/Room/room_init",
        "--set", "upstream.requestsPerSecond=" + scenario.budget(),
        "--set", "poll.strategy=" + strategy,
        "--set", "poll.intervalMs=3000",
        "--set", "poll.minIntervalMs=100",
        "--set", "poll.maxIntervalMs=60000",
        "--set", "rooms=" + roomList));
    Path log = work.resolve(tag + ".log");
    Process relay = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .directory(new File(".")).start();
    String api0 = "http://127.0.0.1:" + httpPort;
    try {
      long started = System.currentTimeMillis();
      awaitResolved(api0, relay, log);
      long resolvedAfterMs = System.currentTimeMillis() - started;
      Set<Long> watched = new HashSet<>();
      for (int rank : WATCHED_RANKS) {
        watched.add(FIRST_ROOM + rank - 1);
      }
      // Held until the end of the drain: see WatchClient for why the client itself must stay reachable.
      WatchClient watcher = WatchClient.open(vertx.createWebSocketClient(), httpPort, watched);
      BenchSupport.sleep(warmup * 1000L);

      String m0 = BenchSupport.get(api0 + "/metrics");
      JsonArray roomsAtStart = new JsonObject(BenchSupport.get(api0 + "/api/rooms")).getJsonArray("rooms");
      JsonObject stats0 = sim.stats();
      JsonObject s0 = stats0.getJsonObject("totals");
      int maxBeforeWindow = s0.getInteger("max_requests_1s");
      long t0 = System.currentTimeMillis();
      double cpu0 = BenchSupport.cpuSeconds(relay.pid());
      RequestSampler sampler = new RequestSampler(sim, watched);
      sampler.start();
      if (scenario.liveRooms()) {
        driveLiveRooms(sim, t0, window);
      } else {
        BenchSupport.sleep(window * 1000L);
      }
      long t1 = System.currentTimeMillis();
      int maxInWindow = sampler.stop();
      String m1 = BenchSupport.get(api0 + "/metrics");
      JsonArray roomsAtEnd = new JsonObject(BenchSupport.get(api0 + "/api/rooms")).getJsonArray("rooms");
      JsonObject stats1 = sim.stats();
      JsonObject s1 = stats1.getJsonObject("totals");
      double cpu1 = BenchSupport.cpuSeconds(relay.pid());
      BenchSupport.sleep(DRAIN_SECONDS * 1000L);
      String watcherFate = watcher.describe();
      boolean watcherOpenInWindow = watcher.openAt(t1);
      watcher.close();
      JsonObject sEnd = sim.stats().getJsonObject("totals");
      stop(relay);

      Map<Long, List<SimMessage>> truth = new HashMap<>();
      for (long room : sim.roomIds()) {
        truth.put(room, sim.messages(room));
      }
      if (!sEnd.getBoolean("messages_complete")) {
        throw new IllegalStateException("the simulator's ground truth is truncated; shorten the run");
      }
      List<ConsumerRecord<String, byte[]>> records = consumeAll(kafka.bootstrapServers(), topic);
      CaptureBenchMatcher.Outcome match = CaptureBenchMatcher.match(truth, records, t0, t1,
          scenario.liveRooms() ? LIVE_ROOMS : new long[0], watched);
      Restart restart = restart(sim, cmd, work.resolve(tag + "-restart.log"));
      double oracle = oracle(stats1, scenario.budget());
      double seconds = (t1 - t0) / 1000.0;
      double requestsPerSecond = (s1.getLong("requests") - s0.getLong("requests")) / seconds;
      double oracleSpent = oracle(stats1, requestsPerSecond);
      Map<Long, JsonObject> relayRooms = new HashMap<>();
      roomsAtEnd.forEach(o -> relayRooms.put(((JsonObject) o).getLong("room_id"), (JsonObject) o));
      StringBuilder rates = new StringBuilder();
      JsonArray simRooms = rankedRooms(stats1);
      for (int rank : new int[] {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}) {
        JsonObject simRoom = simRooms.getJsonObject(rank - 1);
        JsonObject relayRoom = relayRooms.get(simRoom.getLong("room_id"));
        rates.append(String.format(Locale.ROOT, " #%d %.2f/%.2f@%s", rank, simRoom.getDouble("rate"),
            relayRoom.getDouble("rate_per_second"), relayRoom.getValue("interval_ms")));
      }
      System.out.println("  " + tag + ": true/estimated msg/s @ interval ms by rank:" + rates);
      System.out.println("  " + tag + ": rooms resolved after " + resolvedAfterMs + " ms; most requests in 1 s before"
          + " the window " + maxBeforeWindow + ", after it " + sEnd.getInteger("max_requests_1s")
          + "; per-room capture (busiest first) " + match.busiestRooms());
      System.out.println("  " + tag + ": rooms with most gaps " + roomsAtEnd.stream().map(o -> (JsonObject) o)
          .sorted((a, b) -> Long.compare(b.getLong("gaps"), a.getLong("gaps"))).limit(6)
          .map(o -> o.getLong("room_id") + ":" + o.getLong("gaps") + "@" + o.getValue("interval_ms") + "ms")
          .collect(Collectors.joining(" ")));
      System.out.println("  " + tag + ": watching /ws client " + watcherFate
          + (watcherOpenInWindow ? "" : ": the watched figures below are NOT those of watched rooms"));
      Map<Long, JsonObject> relayRoomsAtStart = new HashMap<>();
      roomsAtStart.forEach(o -> relayRoomsAtStart.put(((JsonObject) o).getLong("room_id"), (JsonObject) o));
      for (int rank : WATCHED_RANKS) {
        long id = FIRST_ROOM + rank - 1;
        System.out.println("  " + tag + ": " + watchedRoomLine(rank, id, simRooms, relayRoomsAtStart.get(id),
            relayRooms.get(id), sampler.pollTimes(id), t0, t1, match.perWatchedRoom().get(id)));
      }
      System.out.print(rankTable(tag, stats0, stats1, match.perRoom(), seconds));
      System.out.println("  " + tag + ": restart with the state topic: first poll " + restart.firstPollMs()
          + " ms after the process started, " + restart.roomInits() + " room_init requests (0: every id remembered)");
      return new Result(scenario, strategy, resolvedAfterMs / 1000.0, match, oracle, oracleSpent, restart,
          requestsPerSecond,
          maxInWindow, sEnd.getInteger("max_requests_1s"), sEnd.getLong("requests_rejected_412"),
          BenchSupport.metric(m1, "danmaku_gaps_total", "") - BenchSupport.metric(m0, "danmaku_gaps_total", ""),
          (cpu1 - cpu0) / seconds, loadAverage());
    } finally {
      relay.destroyForcibly();
      sim.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Stops a relay as an operator would (SIGTERM: it flushes), forcibly after 60 s. */
  private static void stop(Process relay) throws InterruptedException {
    relay.destroy();
    if (!relay.waitFor(60, TimeUnit.SECONDS)) {
      relay.destroyForcibly();
    }
  }

  /**
   * One watched room as the relay and the simulator saw it in the window: its Zipf rank and true rate, the relay's
   * estimate, whether the relay had it as watched at the start and end of the window ({@code /api/rooms}), its
   * interval there at the end, its polls at the simulator (gaps between polls from the 50 ms request sampler),
   * and its own capture and delays.
   */
  static String watchedRoomLine(int rank, long id, JsonArray simRooms, JsonObject atStart, JsonObject atEnd,
      List<Long> polls, long fromMs, long toMs, CaptureBenchMatcher.Delays delays) {
    double trueRate = simRooms.stream().map(o -> (JsonObject) o).filter(r -> r.getLong("room_id") == id)
        .mapToDouble(r -> r.getDouble("rate")).findFirst().orElse(Double.NaN);
    long maxGap = 0;
    long previous = fromMs;
    for (long at : polls) {
      maxGap = Math.max(maxGap, at - previous);
      previous = at;
    }
    maxGap = Math.max(maxGap, toMs - previous);
    return String.format(Locale.ROOT, "watched #%d room %d: %.2f msg/s (relay estimate %s); watched at the relay"
            + " %s -> %s; interval %s ms; %d polls in the window (every %.1f s, longest wait %.1f s); captured %d of"
            + " %d, delay p50/p95/max %.0f/%.0f/%.0f ms",
        rank, id, trueRate, atEnd == null ? "?" : atEnd.getValue("rate_per_second"),
        atStart == null ? "?" : atStart.getValue("watched"), atEnd == null ? "?" : atEnd.getValue("watched"),
        atEnd == null ? "?" : atEnd.getValue("interval_ms"), polls.size(),
        (toMs - fromMs) / 1000.0 / Math.max(1, polls.size()), maxGap / 1000.0, delays.captured(), delays.generated(),
        delays.medianMs(), delays.p95Ms(), delays.maxMs());
  }

  /** How a restart with the run's state topic went: time from process start to the first poll at the simulator. */
  record Restart(long firstPollMs, long roomInits) {}

  /**
   * Starts the same relay again (same topics: the resolved ids are in the state topic) and measures how long
   * after the process started the simulator receives its first poll, and how many room_init it asks for.
   */
  private static Restart restart(Simulator sim, List<String> cmd, Path log) throws Exception {
    JsonObject before = sim.stats().getJsonObject("totals");
    long polls = before.getLong("poll_requests");
    long startedNs = System.nanoTime();
    Process relay = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .directory(new File(".")).start();
    try {
      long deadline = startedNs + 120_000_000_000L;
      while (sim.stats().getJsonObject("totals").getLong("poll_requests") <= polls) {
        if (!relay.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the restarted relay did not poll within 120 s; see " + log);
        }
        BenchSupport.sleep(10);
      }
      long firstPollMs = (System.nanoTime() - startedNs) / 1_000_000;
      // A second of polling, so that a relay resolving everything again would show it.
      BenchSupport.sleep(1000);
      long inits = sim.stats().getJsonObject("totals").getLong("room_init_requests") - before.getLong("room_init_requests");
      stop(relay);
      return new Restart(firstPollMs, inits);
    } finally {
      relay.destroyForcibly();
    }
  }

  /**
   * The capture of the virtual-time model's oracle ({@link CaptureSimulation#oracleCapture}: the best any poll plan
   * can do knowing the true rates) for the simulator's rates of this very run and a budget: the whole budget, or
   * the requests per second the relay actually spent in the window.
   */
  private static double oracle(JsonObject stats, double budget) {
    JsonArray rooms = stats.getJsonArray("rooms");
    double[] rates = new double[rooms.size()];
    for (int i = 0; i < rates.length; i++) {
      rates[i] = rooms.getJsonObject(i).getDouble("rate");
    }
    return CaptureSimulation.oracleCapture(rates, budget, 100, 60_000);
  }

  /**
   * Per band of rooms by rank, as {@code CaptureSimulation ranks} prints for its model: the polls per second the
   * simulator counted in the window beside the oracle's at the polls spent, the capture beside that oracle's, and the
   * messages per second lost against it: where the real run loses. Rates are the simulator's at the window's end (in
   * LIVE, whose rooms change rate in the window, the table is only indicative).
   */
  private static String rankTable(String tag, JsonObject stats0, JsonObject stats1, Map<Long, long[]> perRoom,
      double seconds) {
    Map<Long, Long> requestsAtStart = new HashMap<>();
    stats0.getJsonArray("rooms").forEach(o -> requestsAtStart.put(((JsonObject) o).getLong("room_id"),
        ((JsonObject) o).getLong("requests")));
    JsonArray ranked = rankedRooms(stats1);
    double[] rates = new double[ranked.size()];
    double spent = 0;
    double[] polls = new double[ranked.size()];
    for (int i = 0; i < rates.length; i++) {
      JsonObject room = ranked.getJsonObject(i);
      rates[i] = room.getDouble("rate");
      polls[i] = (room.getLong("requests") - requestsAtStart.getOrDefault(room.getLong("room_id"), 0L)) / seconds;
      spent += polls[i];
    }
    double[] atSpent = CaptureSimulation.oraclePolls(rates, spent, 100, 60_000);
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "  %s: ranks      msg/s  polls/s: relay  oracle@spent   capture: relay  oracle@spent   msg/s lost%n", tag));
    int from = 1;
    for (int to : CaptureSimulation.RANK_BANDS) {
      double rate = 0;
      double relayPolls = 0;
      double spentPolls = 0;
      double oracleCaptured = 0;
      long generated = 0;
      long captured = 0;
      for (int k = from; k <= Math.min(to, rates.length); k++) {
        JsonObject room = ranked.getJsonObject(k - 1);
        long[] counts = perRoom.getOrDefault(room.getLong("room_id"), new long[2]);
        rate += rates[k - 1];
        relayPolls += polls[k - 1];
        spentPolls += atSpent[k - 1];
        oracleCaptured += atSpent[k - 1]
            * CaptureSimulation.expectedMinPoisson(rates[k - 1] / atSpent[k - 1], CaptureSimulation.WINDOW);
        generated += counts[0];
        captured += counts[1];
      }
      double capture = generated == 0 ? 1 : (double) captured / generated;
      out.append(String.format(Locale.ROOT, "  %s: %4d-%-4d %7.2f         %7.3f %7.3f          %6.1f%% %6.1f%%  %7.2f%n",
          tag, from, to, rate, relayPolls, spentPolls, 100 * capture, 100 * oracleCaptured / rate,
          oracleCaptured - capture * rate));
      from = to + 1;
    }
    return out.toString();
  }

  /** The simulator's rooms, busiest first. */
  private static JsonArray rankedRooms(JsonObject stats) {
    List<JsonObject> rooms = new ArrayList<>();
    stats.getJsonArray("rooms").forEach(o -> rooms.add((JsonObject) o));
    rooms.sort((a, b) -> Double.compare(b.getDouble("rate"), a.getDouble("rate")));
    return new JsonArray(new ArrayList<>(rooms));
  }

  /** Waits until the relay has resolved every room (GET /api/rooms gives each a room_id): room_init costs budget. */
  private static void awaitResolved(String base, Process relay, Path log) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (true) {
      try {
        JsonArray rooms = new JsonObject(BenchSupport.get(base + "/api/rooms")).getJsonArray("rooms");
        long resolved = rooms.stream().filter(r -> ((JsonObject) r).getValue("room_id") != null).count();
        if (rooms.size() == ROOMS && resolved == ROOMS) {
          return;
        }
      } catch (Exception notYet) {
        if (!relay.isAlive()) {
          throw new IllegalStateException("the relay exited; see " + log, notYet);
        }
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the relay did not resolve every room within 180 s; see " + log);
      }
      BenchSupport.sleep(500);
    }
  }

  /**
   * Each live room is silent, goes live at {@link #LIVE_RATE} for half the window, then falls silent again;
   * starts are staggered over the first half so the scheduler meets one jump at a time.
   */
  private static void driveLiveRooms(Simulator sim, long t0, int windowSeconds) {
    long windowMs = windowSeconds * 1000L;
    long liveFor = windowMs / 2;
    List<long[]> events = new ArrayList<>();
    for (int i = 0; i < LIVE_ROOMS.length; i++) {
      long on = t0 + windowMs / 10 + i * (windowMs / 2 - windowMs / 10) / LIVE_ROOMS.length;
      events.add(new long[] {on, LIVE_ROOMS[i], 1});
      events.add(new long[] {on + liveFor, LIVE_ROOMS[i], 0});
    }
    events.sort((a, b) -> Long.compare(a[0], b[0]));
    for (long[] e : events) {
      long wait = e[0] - System.currentTimeMillis();
      if (wait > 0) {
        BenchSupport.sleep(wait);
      }
      sim.setRate(e[1], e[2] == 1 ? LIVE_RATE : 0);
    }
    long rest = t0 + windowMs - System.currentTimeMillis();
    if (rest > 0) {
      BenchSupport.sleep(rest);
    }
  }

  /** Every committed record of a topic, partition by partition in offset order. */
  static List<ConsumerRecord<String, byte[]>> consumeAll(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
             new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, java.time.Duration.ofSeconds(30)).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 120_000;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(java.time.Duration.ofMillis(500)).forEach(out::add);
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("could not read topic " + topic + " to its end within 120 s");
        }
      }
    }
    return out;
  }

  /**
   * Reads the simulator's request counter every 50 ms; the largest increase between two reads at most 1 s apart
   * is a lower bound (within one read interval) of the window's busiest second. The simulator's own exact
   * maximum covers the whole run, start-up included.
   */
  static final class RequestSampler {
    private final Simulator sim;
    private final Thread thread;
    private final Map<Long, List<Long>> pollTimes = new HashMap<>();
    private final Map<Long, Long> lastPolls = new HashMap<>();
    private volatile boolean running = true;
    private int max;

    RequestSampler(Simulator sim) {
      this(sim, Set.of());
    }

    /** Also dates each poll of the {@code watched} rooms (to the read that first counted it). */
    RequestSampler(Simulator sim, Set<Long> watched) {
      this.sim = sim;
      this.thread = new Thread(this::loop, "request-sampler");
      watched.forEach(room -> pollTimes.put(room, new ArrayList<>()));
    }

    void start() {
      thread.start();
    }

    private void loop() {
      java.util.ArrayDeque<long[]> reads = new java.util.ArrayDeque<>();
      long next = System.nanoTime();
      while (running) {
        JsonObject stats = sim.stats();
        long requests = stats.getJsonObject("totals").getLong("requests");
        long at = System.nanoTime();
        datePolls(stats.getJsonArray("rooms"), System.currentTimeMillis());
        reads.addLast(new long[] {at, requests});
        // Only pairs of reads at most 1 s apart: their difference is requests within one second for sure.
        while (at - reads.peekFirst()[0] > 1_000_000_000L) {
          reads.pollFirst();
        }
        max = (int) Math.max(max, requests - reads.peekFirst()[1]);
        next += 50_000_000L;
        long waitMs = (next - System.nanoTime()) / 1_000_000L;
        if (waitMs > 0) {
          BenchSupport.sleep(waitMs);
        }
      }
    }

    private void datePolls(JsonArray rooms, long nowMs) {
      for (Object o : rooms) {
        JsonObject room = (JsonObject) o;
        List<Long> times = pollTimes.get(room.getLong("room_id"));
        if (times == null) {
          continue;
        }
        long polls = room.getLong("requests");
        Long before = lastPolls.put(room.getLong("room_id"), polls);
        for (long i = before == null ? polls : before; i < polls; i++) {
          times.add(nowMs);
        }
      }
    }

    int stop() throws InterruptedException {
      running = false;
      thread.join();
      return max;
    }

    /** When the simulator counted each poll of a watched room during the sampling (after {@link #stop}). */
    List<Long> pollTimes(long room) {
      return pollTimes.getOrDefault(room, List.of());
    }
  }

  /** One run's figures. */
  record Result(Scenario scenario, String strategy, double resolvedAfterS, CaptureBenchMatcher.Outcome match,
      double oracle, double oracleSpent, Restart restart, double requestsPerSecond, int maxInWindow, int maxRequests1s, long rejected412, double gaps, double relayCpu, double load) {

    static final String HEADER = String.format("%-5s %-8s %6s %8s %8s %7s %7s %6s %4s %5s %6s %5s %5s %5s %5s %7s %7s"
            + " %6s %6s %7s %7s %7s %5s %5s",
        "scen", "strategy", "budget", "generatd", "captured", "capt%", "oracle", "of-or", "dups", "unmat", "req/s",
        "maxW", "maxR", "412s", "gaps", "delay50", "delay95", "wat50", "wat95", "unw50", "unw95", "restart", "cpu",
        "load");
    static final String LEGEND = """
        generatd/captured: messages generated inside the window (simulator ground truth) / found in Kafka
        dups: records beyond the ground truth (same dedupe id twice, or a message more often than it was sent)
        unmat: records matching no generated message; req/s: simulator-counted requests in the window / s
        maxW: most requests in any 1 s of the window (simulator counter read every 50 ms, reads <= 1 s apart)
        maxR: most requests the simulator saw in any sliding 1 s over the whole run, room_init included (exact)
        412s: requests refused by risk control (simulator limit off: 0 expected); gaps: relay danmaku_gaps_total
        oracle: the capture of CaptureSimulation's oracle allocation for this run's true rates and budget; of-or: capt/oracle
        oracle at the req/s spent: the same oracle given only the requests per second the relay spent in the window
        delay50/95: Kafka record timestamp (producer CreateTime) - simulator send time (ms resolution), ms
        wat50/95: the same for the rooms a /ws client watched (ranks 10, 50, 200, 500, 950); unw50/95: the other rooms
        (per watched room above the table: the relay's watched flag and interval, its polls at the simulator, its delays)
        restart: ms from starting the relay process again (same state topic) to its first poll at the simulator
        cpu: relay CPU cores used in the window; load: 1-min load average at the end of the window""";

    String row() {
      double capture = (double) match.captured() / Math.max(1, match.generated());
      String base = String.format(Locale.ROOT, "%-5s %-8s %6d %8d %8d %6.1f%% %6.1f%% %5.1f%% %4d %5d %6.1f %5d %5d %5d"
              + " %5.0f %7.0f %7.0f %6.0f %6.0f %7.0f %7.0f %7d %5.2f %5.2f",
          scenario.name(), strategy, scenario.budget(), match.generated(), match.captured(), 100.0 * capture,
          100.0 * oracle, 100.0 * capture / oracle, match.duplicates(), match.unmatched(),
          requestsPerSecond, maxInWindow, maxRequests1s, rejected412, gaps, match.delayMedianMs(), match.delayP95Ms(),
          match.watched().medianMs(), match.watched().p95Ms(), match.unwatched().medianMs(), match.unwatched().p95Ms(),
          restart.firstPollMs(), relayCpu, load);
      base += String.format(Locale.ROOT, "%n      watched rooms: %d of %d captured; restart: %d room_init", match.watched()
          .captured(), match.watched().generated(), restart.roomInits());
      // The oracle above spends the whole budget; the relay spends less by design (a request counts against the
      // budget from its grant to its answer, so that the upstream never sees more: issue 14). The same oracle at
      // the rate the relay did spend separates the scheduler's share of the gap from that margin's.
      base += String.format(Locale.ROOT, "%n      oracle at the %.1f req/s spent: %.1f%%; capture of it: %.1f%%",
          requestsPerSecond, 100.0 * oracleSpent, 100.0 * capture / oracleSpent);
      if (scenario.liveRooms()) {
        base += String.format(Locale.ROOT, "%n      live rooms: %d of %d captured (%.1f%%), median delay %.0f ms",
            match.liveCaptured(), match.liveGenerated(), 100.0 * match.liveCaptured() / Math.max(1,
                match.liveGenerated()), match.liveDelayMedianMs());
      }
      return base;
    }
  }

  /** The 1-minute load average (other engineers share the machine: the figure says how busy it was). */
  static double loadAverage() throws java.io.IOException {
    return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
  }
}
