package io.danmakurelay.bench;

import io.danmakurelay.kafka.EmbeddedKafka;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The cluster benchmark (scripts/bench-cluster.sh, issue 13): S1-like traffic scaled up (Zipf rooms, more
 * messages than one relay's budget can take), captured by 1, 2 and 3 relay processes on one embedded broker,
 * each relay with the same {@code upstream.requestsPerSecond}. One relay runs as it does alone (no cluster: the
 * baseline); two or more run with {@code cluster.enabled} and must first report that they formed one group
 * ({@code GET /api/cluster}), or the run stops with the reason instead of printing figures. Prints per relay
 * count: captured messages/s against the simulator's ground truth, the ratio to one relay, and requests per
 * relay per second. Args: relayJar [--relays 1,2,3] [--rooms N] [--rate MSG_PER_S] [--budget REQ_PER_S]
 * [--warmup S] [--window S] [--quick] [--seed N].
 */
public final class ClusterBench {

  private static final long FIRST_ROOM = 1_000_001;
  /** As the capture benchmark: a quiet room is polled every maxIntervalMs (60 s), so the relays run on this long. */
  private static final int DRAIN_SECONDS = 63;
  private static final long FORM_TIMEOUT_MS = 180_000;

  /** The benchmark's settings, from the command line. */
  record Settings(List<Integer> relays, int rooms, double rate, int budget, int warmup, int window, long seed) {

    static Settings parse(String[] args, int from) {
      List<Integer> relays = List.of(1, 2, 3);
      int rooms = 1000;
      double rate = 900;
      int budget = 50;
      int warmup = 30;
      int window = 60;
      long seed = 42;
      for (int i = from; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--quick")) {
          warmup = 15;
          window = 20;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        String value = args[++i];
        try {
          switch (arg) {
            case "--relays" -> relays = java.util.Arrays.stream(value.split(",")).map(String::trim)
                .map(Integer::valueOf).toList();
            case "--rooms" -> rooms = Integer.parseInt(value);
            case "--rate" -> rate = Double.parseDouble(value);
            case "--budget" -> budget = Integer.parseInt(value);
            case "--warmup" -> warmup = Integer.parseInt(value);
            case "--window" -> window = Integer.parseInt(value);
            case "--seed" -> seed = Long.parseLong(value);
            default -> throw new IllegalArgumentException("unknown argument " + arg);
          }
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(arg + " " + value + ": not a number");
        }
      }
      if (relays.isEmpty() || relays.stream().anyMatch(n -> n < 1 || n > 8)) {
        throw new IllegalArgumentException("--relays: counts from 1 to 8, e.g. 1,2,3");
      }
      if (rooms < 1 || rate <= 0 || budget < 1 || warmup < 0 || window < 1) {
        throw new IllegalArgumentException("--rooms, --rate, --budget and --window must be positive, --warmup >= 0");
      }
      return new Settings(List.copyOf(relays), rooms, rate, budget, warmup, window, seed);
    }
  }

  /** One run's figures. */
  record Row(int relays, double generatedPerS, double capturedPerS, long duplicates, double simRequestsPerS,
      int simMaxIn1s, double minRelayRequestsPerS, double maxRelayRequestsPerS, long rejected412, double load) {

    static final String HEADER = "relays  generated/s  captured/s  captured%  ratio  dups  requests/s  max-1s/relay*"
        + "  per-relay req/s (min..max)  budget  412s  load";

    String format(Row baseline, int budget) {
      return String.format(Locale.ROOT, "%6d  %11.1f  %10.1f  %8.1f%%  %5s  %4d  %10.1f  %13.1f  %10.1f..%-14.1f  %6d  %4d  %.1f",
          relays, generatedPerS, capturedPerS, 100 * capturedPerS / generatedPerS,
          baseline == null ? "-" : String.format(Locale.ROOT, "%.2f", capturedPerS / baseline.capturedPerS),
          duplicates, simRequestsPerS, simMaxIn1s / (double) relays, minRelayRequestsPerS, maxRelayRequestsPerS,
          budget, rejected412, load);
    }
  }

  static final String LEGEND = "ratio: captured/s against the run with 1 relay. max-1s/relay*: the most requests the "
      + "simulator served in any 1 s (all relays, its exact sliding count) divided by the relay count: every relay calls "
      + "from 127.0.0.1, so the simulator cannot count per caller. per-relay req/s: each relay's own "
      + "danmaku_polls_total over the window.";

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ClusterBench relayJar [--relays 1,2,3] [--rooms N] [--rate R] [--budget B] "
          + "[--warmup S] [--window S] [--quick] [--seed N]");
      System.exit(2);
    }
    Settings settings;
    try {
      settings = Settings.parse(args, 1);
    } catch (IllegalArgumentException e) {
      System.err.println("bench-cluster: " + e.getMessage());
      System.exit(2);
      return;
    }
    Path work = Files.createTempDirectory("bench-cluster");
    System.out.printf("cluster benchmark %s: %d rooms, %.0f msg/s in all (Zipf 1.1, seed %d), budget %d requests/s"
        + " per relay, relays %s, warm-up %d s after every room is resolved, window %d s, drain %d s; logs in %s%n",
        Instant.now(), settings.rooms(), settings.rate(), settings.seed(), settings.budget(), settings.relays(),
        settings.warmup(), settings.window(), DRAIN_SECONDS, work);
    List<String> lines = new ArrayList<>();
    Row baseline = null;
    Vertx vertx = Vertx.vertx();
    int status = 0;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0)) {
      for (int n : settings.relays()) {
        Row row = run(vertx, kafka, settings, n, args[0], work);
        if (n == 1) {
          baseline = row;
        }
        String line = row.format(n == 1 ? null : baseline, settings.budget());
        lines.add(line);
        System.out.println(line);
        System.out.flush();
      }
    } catch (ClusterNotFormed e) {
      System.err.println("bench-cluster: " + e.getMessage());
      status = 1;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (!lines.isEmpty()) {
      System.out.println();
      System.out.println(Row.HEADER);
      lines.forEach(System.out::println);
      System.out.println(LEGEND);
    }
    System.exit(status);
  }

  /** The relays did not report one group of the expected size: no figures are printed for this run. */
  static final class ClusterNotFormed extends Exception {
    ClusterNotFormed(String message) {
      super(message);
    }
  }

  private static Row run(Vertx vertx, EmbeddedKafka kafka, Settings settings, int n, String jar, Path work)
      throws Exception {
    String tag = n + "-relays-" + System.currentTimeMillis();
    String topic = "cluster-" + tag;
    Simulator sim = Simulator.start(vertx, SimulatorSettings.defaults(0, settings.rooms(), settings.rate(),
        settings.seed())).await(30, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + sim.port();
    String roomList = LongStream.range(FIRST_ROOM, FIRST_ROOM + settings.rooms()).mapToObj(Long::toString)
        .collect(Collectors.joining(","));
    List<Process> relays = new ArrayList<>();
    List<String> apis = new ArrayList<>();
    try {
      for (int i = 1; i <= n; i++) {
        int httpPort = BenchSupport.freePort();
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx512m", "-jar", jar, "run",
            "--set", "kafka.bootstrapServers=" + kafka.bootstrapServers(),
            "--set", "kafka.topic=" + topic,
            "--set", "kafka.stateTopic=" + topic + "-state",
            "--set", "http.port=" + httpPort,
            "--set", "upstream.mode=poll",
            "--set", "upstream.api=ajax-msg",
            "--set", "upstream.url=" + base + "/ajax/msg",
            "--set", "upstream.roomInitUrl=" + base + "/room/v1/Room/room_init",
            "--set", "upstream.requestsPerSecond=" + settings.budget(),
            "--set", "poll.strategy=adaptive",
            "--set", "rooms=" + roomList));
        if (n > 1) {
          cmd.addAll(List.of("--set", "cluster.enabled=true", "--set", "cluster.group=bench-" + tag,
              "--set", "cluster.instanceId=relay-" + i));
        }
        Path log = work.resolve(tag + "-relay-" + i + ".log");
        relays.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
            .directory(new File(".")).start());
        apis.add("http://127.0.0.1:" + httpPort);
      }
      long started = System.currentTimeMillis();
      if (n > 1) {
        awaitCluster(apis, relays, n);
      }
      for (int i = 0; i < n; i++) {
        awaitResolved(apis.get(i), relays.get(i), settings.rooms(), work.resolve(tag + "-relay-" + (i + 1) + ".log"));
      }
      System.out.printf(Locale.ROOT, "  %d relay(s): %s every room resolved after %.0f s%n", n,
          n > 1 ? " one group formed," : "", (System.currentTimeMillis() - started) / 1000.0);
      BenchSupport.sleep(settings.warmup() * 1000L);

      List<String> m0 = scrapes(apis);
      JsonObject s0 = sim.stats().getJsonObject("totals");
      long t0 = System.currentTimeMillis();
      CaptureBench.RequestSampler sampler = new CaptureBench.RequestSampler(sim);
      sampler.start();
      BenchSupport.sleep(settings.window() * 1000L);
      long t1 = System.currentTimeMillis();
      int maxInWindow = sampler.stop();
      List<String> m1 = scrapes(apis);
      JsonObject s1 = sim.stats().getJsonObject("totals");
      double load = CaptureBench.loadAverage();
      BenchSupport.sleep(DRAIN_SECONDS * 1000L);
      JsonObject sEnd = sim.stats().getJsonObject("totals");
      for (Process relay : relays) {
        relay.destroy();
      }
      for (Process relay : relays) {
        if (!relay.waitFor(60, TimeUnit.SECONDS)) {
          relay.destroyForcibly();
        }
      }
      if (!sEnd.getBoolean("messages_complete")) {
        throw new IllegalStateException("the simulator's ground truth is truncated; shorten the run");
      }
      Map<Long, List<SimMessage>> truth = new HashMap<>();
      for (long room : sim.roomIds()) {
        truth.put(room, sim.messages(room));
      }
      List<ConsumerRecord<String, byte[]>> records = CaptureBench.consumeAll(kafka.bootstrapServers(), topic);
      CaptureBenchMatcher.Outcome match = CaptureBenchMatcher.match(truth, records, t0, t1, new long[0], java.util.Set.of());
      double seconds = (t1 - t0) / 1000.0;
      double minPerRelay = Double.MAX_VALUE;
      double maxPerRelay = 0;
      for (int i = 0; i < n; i++) {
        double perS = (BenchSupport.metric(m1.get(i), "danmaku_polls_total", "")
            - BenchSupport.metric(m0.get(i), "danmaku_polls_total", "")) / seconds;
        minPerRelay = Math.min(minPerRelay, perS);
        maxPerRelay = Math.max(maxPerRelay, perS);
      }
      return new Row(n, match.generated() / seconds, match.captured() / seconds, match.duplicates(),
          (s1.getLong("requests") - s0.getLong("requests")) / seconds, maxInWindow, minPerRelay, maxPerRelay,
          sEnd.getLong("requests_rejected_412"), load);
    } finally {
      for (Process relay : relays) {
        relay.destroyForcibly();
      }
      sim.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static List<String> scrapes(List<String> apis) throws Exception {
    List<String> out = new ArrayList<>();
    for (String api : apis) {
      out.add(BenchSupport.get(api + "/metrics"));
    }
    return out;
  }

  /**
   * Waits until every relay reports {@code n} members, each holding partitions, in one generation. A build
   * whose relays do not form a cluster (cluster.enabled not implemented, or the group not forming) fails here.
   */
  private static void awaitCluster(List<String> apis, List<Process> relays, int n) throws Exception {
    long deadline = System.currentTimeMillis() + FORM_TIMEOUT_MS;
    String last = "";
    while (System.currentTimeMillis() < deadline) {
      boolean formed = true;
      java.util.Set<Integer> generations = new java.util.HashSet<>();
      for (int i = 0; i < apis.size(); i++) {
        if (!relays.get(i).isAlive()) {
          throw new ClusterNotFormed("relay " + (i + 1) + " exited with " + relays.get(i).exitValue());
        }
        JsonObject cluster;
        try {
          cluster = new JsonObject(BenchSupport.get(apis.get(i) + "/api/cluster"));
        } catch (java.io.IOException notServingYet) {
          formed = false;
          continue;
        }
        if (!cluster.getBoolean("enabled", false)) {
          throw new ClusterNotFormed("relay " + (i + 1) + " runs with cluster.enabled=true but GET /api/cluster says "
              + "\"enabled\":false: this build does not implement the cluster (issue 13's group membership), so "
              + "there are no figures for " + n + " relays");
        }
        JsonArray members = cluster.getJsonArray("members", new JsonArray());
        boolean everyOneHasPartitions = members.stream()
            .allMatch(m -> !((JsonObject) m).getJsonArray("partitions", new JsonArray()).isEmpty());
        generations.add(cluster.getInteger("generation", -1));
        last = "relay " + (i + 1) + " sees " + members.size() + " members in generation "
            + cluster.getInteger("generation", -1);
        formed &= members.size() == n && everyOneHasPartitions;
      }
      formed &= generations.size() == 1;
      if (formed) {
        return;
      }
      BenchSupport.sleep(500);
    }
    throw new ClusterNotFormed("the " + n + " relays did not form one group within " + FORM_TIMEOUT_MS / 1000
        + " s (" + last + ")");
  }

  /** Waits until the relay lists every room resolved (room_init costs budget, spent before the window). */
  private static void awaitResolved(String api, Process relay, int rooms, Path log) throws Exception {
    long deadline = System.currentTimeMillis() + 240_000;
    while (true) {
      try {
        JsonArray list = new JsonObject(BenchSupport.get(api + "/api/rooms")).getJsonArray("rooms");
        long resolved = list.stream().filter(r -> ((JsonObject) r).getValue("room_id") != null).count();
        if (list.size() == rooms && resolved == rooms) {
          return;
        }
      } catch (Exception notYet) {
        if (!relay.isAlive()) {
          throw new IllegalStateException("a relay exited; see " + log, notYet);
        }
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("a relay did not resolve every room within 240 s; see " + log);
      }
      BenchSupport.sleep(500);
    }
  }
}
