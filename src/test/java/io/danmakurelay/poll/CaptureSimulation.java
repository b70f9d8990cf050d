package io.danmakurelay.poll;

import io.danmakurelay.pipeline.BackoffPolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import io.danmakurelay.pipeline.BatchSink;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.PollResult;
import io.danmakurelay.upstream.RoomInitResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;

/**
 * An offline, deterministic model of the simulator driving the relay's own {@link PollLoop} in virtual time:
 * Zipf room rates, Poisson arrivals, each poll answering the last 10 messages with one-second timestamps.
 * Measures the share of messages captured and checks the budget in every one-second window.
 * Run: {@code mvn -B -o -q test -Dtest=CaptureSimulationTest} (prints the table), or {@link #main}.
 */
public final class CaptureSimulation {

  public static final int WINDOW = 10;
  /**
   * A poll's round trip; {@code -Dcapture.latencyMs=3} for one over loopback, as bench-capture's. Plus, with
   * {@code -Dcapture.latencyJitterMs=J}, an exponential extra of mean J ms per poll (seeded), and with
   * {@code -Dcapture.timerJitterMs=J} (VirtualTime) each timer up to J ms late: the real machine's noise.
   */
  static final long LATENCY_MS = Long.getLong("capture.latencyMs", 50);
  static final long LATENCY_JITTER_MS = Long.getLong("capture.latencyJitterMs", 0);
  /** Arrivals start this long before the relay, so first polls see a window of history. */
  static final long HISTORY_MS = 30_000;

  /** One experiment: rooms, their traffic, the scheduler's settings and the measured period. */
  public record Scenario(
      String name,
      int rooms,
      double zipf,
      double totalRate,
      double budget,
      String strategy,
      long intervalMs,
      long minIntervalMs,
      long maxIntervalMs,
      long warmupMs,
      long measureMs,
      long seed) {

    SchedulerSettings settings() {
      return new SchedulerSettings(strategy, budget, intervalMs, minIntervalMs, maxIntervalMs, 2000, 300_000);
    }

    Scenario with(String otherStrategy) {
      return new Scenario(name, rooms, zipf, totalRate, budget, otherStrategy, intervalMs, minIntervalMs,
          maxIntervalMs, warmupMs, measureMs, seed);
    }
  }

  /** What one run measured. */
  public record Result(
      Scenario scenario,
      long generated,
      long captured,
      long polls,
      int maxRequestsInOneSecond,
      double oracleCapture,
      double busiestRoomCapture,
      long maxPollGapMs,
      long pollsOverMaxInterval) {

    public double capture() {
      return generated == 0 ? 1 : (double) captured / generated;
    }

    public double pollsPerSecond() {
      return polls * 1000.0 / (scenario.measureMs());
    }
  }

  /**
   * How quickly a room going 0 -> rate -> 0 was followed, in seconds (NaN when never): its first poll after
   * the jump, the start of the first 5 s of its messages captured at 90% or more, and when its interval
   * reached 10 s after it went quiet again.
   */
  public record GoLive(double jumpAtS, double detectedAfterS, double capturingAfterS, double releasedAfterS) {

    /** From the poll that first saw the room live to capturing it. */
    public double followedAfterDetectionS() {
      return capturingAfterS - detectedAfterS;
    }
  }

  /** How long after the room goes quiet again the run watches for its share to be released. */
  static final long RELEASE_WATCH_MS = 40_000;

  /** The Zipf rates: rate_k = total * k^-s / H(N, s), k = 1..N. */
  static double[] zipfRates(int rooms, double s, double total) {
    double h = 0;
    for (int k = 1; k <= rooms; k++) {
      h += Math.pow(k, -s);
    }
    double[] rates = new double[rooms];
    for (int k = 1; k <= rooms; k++) {
      rates[k - 1] = total * Math.pow(k, -s) / h;
    }
    return rates;
  }

  /**
   * The best capture any poll plan can reach knowing the true rates: the proportional water-filling of
   * {@link AdaptiveStrategy} with the whole budget and the real maxInterval floor, each room polled on a
   * perfect period, capture = Σ p·E[min(Poisson(λ/p), 10)] / Σ λ.
   */
  public static double oracleCapture(double[] rates, double budget, long minIntervalMs, long maxIntervalMs) {
    double[] polls = oraclePolls(rates, budget, minIntervalMs, maxIntervalMs);
    double captured = 0;
    double total = 0;
    for (int i = 0; i < rates.length; i++) {
      captured += polls[i] * expectedMinPoisson(rates[i] / polls[i], WINDOW);
      total += rates[i];
    }
    return captured / total;
  }

  /** The oracle's polls per second for each room: clamp(λ/m, 1/maxInterval, 1/minInterval), summing to the budget. */
  public static double[] oraclePolls(double[] rates, double budget, long minIntervalMs, long maxIntervalMs) {
    double lowest = 1000.0 / maxIntervalMs;
    double highest = 1000.0 / minIntervalMs;
    double lo = Math.log(1e-9);
    double hi = Math.log(1e9);
    for (int i = 0; i < 80; i++) {
      double mid = (lo + hi) / 2;
      double m = Math.exp(mid);
      double demand = 0;
      for (double rate : rates) {
        demand += Math.max(lowest, Math.min(highest, rate / m));
      }
      if (demand > budget) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    double m = Math.exp(hi);
    double[] polls = new double[rates.length];
    for (int i = 0; i < rates.length; i++) {
      polls[i] = Math.max(lowest, Math.min(highest, rates[i] / m));
    }
    return polls;
  }

  /** E[min(N, k)] for N ~ Poisson(mean) = Σ_{j<k} P(N > j). */
  public static double expectedMinPoisson(double mean, int k) {
    double sum = 0;
    for (int j = 0; j < k; j++) {
      sum += RateEstimator.atLeast(j + 1, mean);
    }
    return sum;
  }

  public static Result run(Scenario scenario) {
    return runWatched(scenario).result();
  }

  /**
   * A run in which a {@code /ws} subscriber watches {@code watchedRanks} (room id = Zipf rank) from the start: the
   * capture of all rooms, and for the watched ones their capture and the longest wait between two of their polls
   * in the measured period (the scheduler polls them every {@code watchedIntervalMs}, out of the same budget).
   */
  public record Watched(Result result, double watchedCapture, long watchedMaxPollGapMs, List<RoomFigures> rooms) {}

  /** One room of a run, by Zipf rank: its true rate, the polls per second it got in the measured period, its capture. */
  public record RoomFigures(int rank, double rate, double pollsPerSecond, long generated, long captured) {}

  public static Watched runWatched(Scenario scenario, long... watchedRanks) {
    double[] rates = zipfRates(scenario.rooms(), scenario.zipf(), scenario.totalRate());
    List<SimRoom> rooms = new ArrayList<>();
    SplittableRandom seeds = new SplittableRandom(scenario.seed());
    for (int k = 0; k < rates.length; k++) {
      rooms.add(new SimRoom(k + 1, seeds.split(), new double[] {-HISTORY_MS}, new double[] {rates[k]}));
    }
    Run run = new Run(scenario, rooms, -1, 0);
    run.watched = watchedRanks;
    run.execute();
    long watchedGenerated = 0;
    long watchedCaptured = 0;
    long watchedMaxGap = 0;
    for (long rank : watchedRanks) {
      SimRoom room = rooms.get((int) rank - 1);
      watchedGenerated += room.generatedInWindow;
      watchedCaptured += room.capturedInWindow;
      watchedMaxGap = Math.max(watchedMaxGap, room.maxPollGapInWindowMs);
    }
    long generated = 0;
    long captured = 0;
    for (SimRoom room : rooms) {
      generated += room.generatedInWindow;
      captured += room.capturedInWindow;
    }
    SimRoom busiest = rooms.get(0);
    double busiestCapture = busiest.generatedInWindow == 0 ? 1
        : (double) busiest.capturedInWindow / busiest.generatedInWindow;
    Result result = new Result(scenario, generated, captured, run.pollsInWindow, run.maxInOneSecond,
        oracleCapture(rates, scenario.budget(), scenario.minIntervalMs(), scenario.maxIntervalMs()), busiestCapture,
        run.maxPollGapMs, run.pollsOverMaxInterval);
    List<RoomFigures> figures = new ArrayList<>(rooms.size());
    for (int k = 0; k < rooms.size(); k++) {
      SimRoom room = rooms.get(k);
      figures.add(new RoomFigures(k + 1, rates[k], room.pollsInWindow * 1000.0 / scenario.measureMs(),
          room.generatedInWindow, room.capturedInWindow));
    }
    return new Watched(result, watchedGenerated == 0 ? 1 : (double) watchedCaptured / watchedGenerated, watchedMaxGap,
        figures);
  }

  /**
   * The background of {@code scenario} plus one silent room that receives {@code liveRate} msg/s from
   * {@code jumpAtMs} for {@code liveForMs}, then nothing again.
   */
  public static GoLive goLive(Scenario scenario, long jumpAtMs, long liveForMs, double liveRate) {
    double[] rates = zipfRates(scenario.rooms(), scenario.zipf(), scenario.totalRate());
    List<SimRoom> rooms = new ArrayList<>();
    SplittableRandom seeds = new SplittableRandom(scenario.seed() ^ jumpAtMs);
    SimRoom live = new SimRoom(scenario.rooms() + 1, seeds.split(),
        new double[] {-HISTORY_MS, jumpAtMs, jumpAtMs + liveForMs}, new double[] {0, liveRate, 0});
    live.track = true;
    rooms.add(live);
    for (int k = 0; k < rates.length; k++) {
      rooms.add(new SimRoom(k + 1, seeds.split(), new double[] {-HISTORY_MS}, new double[] {rates[k]}));
    }
    Run run = new Run(scenario, rooms, live.id, jumpAtMs + liveForMs + RELEASE_WATCH_MS);
    run.execute();

    long firstPollAfterJump = -1;
    for (long at : run.trackedPolls) {
      if (at > jumpAtMs) {
        firstPollAfterJump = at;
        break;
      }
    }
    double detected = firstPollAfterJump < 0 ? Double.NaN : (firstPollAfterJump - jumpAtMs) / 1000.0;
    // Capturing: the first instant, from that poll on, from which 90% of the next 5 s of messages were captured.
    double capturing = Double.NaN;
    double[] times = live.arrivalTimes();
    long searchFrom = firstPollAfterJump < 0 ? Long.MAX_VALUE : firstPollAfterJump;
    for (long from = searchFrom; from + 5000 <= jumpAtMs + liveForMs; from += 100) {
      int total = 0;
      int kept = 0;
      for (int i = 0; i < times.length; i++) {
        if (times[i] >= from && times[i] < from + 5000) {
          total++;
          if (live.captured.get(i)) {
            kept++;
          }
        }
      }
      if (total > 0 && kept >= 0.9 * total) {
        capturing = (from - jumpAtMs) / 1000.0;
        break;
      }
    }
    double released = Double.NaN;
    long quietAt = jumpAtMs + liveForMs;
    for (long[] sample : run.trackedIntervals) {
      if (sample[0] >= quietAt && sample[1] >= 10_000) {
        released = (sample[0] - quietAt) / 1000.0;
        break;
      }
    }
    return new GoLive(jumpAtMs / 1000.0, detected, capturing, released);
  }

  /**
   * Drives the relay's own {@link PollLoop} (with the real scheduler, deduper and pipeline) in virtual time:
   * each poll answers LATENCY_MS later with the room's last 10 messages, and what the loop publishes is what
   * it captured.
   */
  private static final class Run implements PollLoop.Requests, BatchSink {
    final Scenario scenario;
    final List<SimRoom> rooms;
    final SimRoom[] byId;
    final long trackedRoomId;
    final VirtualTime time = new VirtualTime(EPOCH_OFFSET_MS);
    final SplittableRandom latencyJitter = new SplittableRandom(11);
    final PollScheduler scheduler;
    final PollLoop loop;
    final long measureFrom;
    final long measureTo;
    /** Messages of the measured period are still counted when captured up to maxInterval later. */
    final long end;
    final ArrayDeque<Long> lastSecond = new ArrayDeque<>();
    final List<Long> trackedPolls = new ArrayList<>();
    final List<long[]> trackedIntervals = new ArrayList<>();
    /** Room ids a subscriber watches from the start. */
    long[] watched = new long[0];
    int maxInOneSecond;
    long pollsInWindow;
    long maxPollGapMs;
    long pollsOverMaxInterval;

    Run(Scenario scenario, List<SimRoom> rooms, long trackedRoomId, long endMs) {
      this.scenario = scenario;
      this.rooms = rooms;
      this.trackedRoomId = trackedRoomId;
      int maxId = rooms.stream().mapToInt(r -> (int) r.id).max().orElse(0);
      this.byId = new SimRoom[maxId + 1];
      for (SimRoom room : rooms) {
        byId[(int) room.id] = room;
      }
      SchedulerSettings settings = scenario.settings();
      UpstreamGate gate = new UpstreamGate(settings.requestsPerSecond(), settings.backoffInitialMs(),
          settings.backoffMaxMs());
      this.scheduler = new PollScheduler(settings, new SplittableRandom(scenario.seed() + 1),
          PollScheduler.strategyFor(settings), gate);
      this.loop = new PollLoop("ajax-msg", 512, scheduler, new Pipeline(this), this, time, this::now,
          new PollMetrics(new SimpleMeterRegistry(), false, gate, this::now),
          new BackoffPolicy(settings.backoffInitialMs(), settings.backoffMaxMs()), new SplittableRandom(scenario.seed()));
      this.measureFrom = scenario.warmupMs();
      this.measureTo = scenario.warmupMs() + scenario.measureMs();
      this.end = endMs > 0 ? endMs : measureTo + scenario.maxIntervalMs() + 5_000;
      for (SimRoom room : rooms) {
        room.measureFrom = measureFrom;
        room.measureTo = measureTo;
      }
    }

    /** Virtual ms since the start of the run. */
    long virtual() {
      return time.now() - EPOCH_OFFSET_MS;
    }

    long now() {
      return time.now();
    }

    void execute() {
      List<SimRoom> order = new ArrayList<>(rooms);
      Collections.shuffle(order, new Random(scenario.seed()));
      for (SimRoom room : order) {
        // Known ids, as after an earlier run: polling starts at once, as in the scheduler-only model.
        loop.follow(room.id, new JsonObject().put("room_id", room.id).put("short_id", 0));
      }
      for (long room : watched) {
        loop.setWatched(room, true);
      }
      if (trackedRoomId >= 0) {
        sample();
      }
      time.runUntil(EPOCH_OFFSET_MS + end);
      loop.stop();
      for (SimRoom room : rooms) {
        room.advanceTo(end);
      }
    }

    private void sample() {
      long sampledAt = virtual();
      scheduler.room(trackedRoomId, now()).ifPresent(r -> trackedIntervals.add(new long[] {sampledAt, r.intervalMs()}));
      time.setTimer(250, this::sample);
    }

    @Override
    public void poll(long roomId, Consumer<PollResult> done) {
      long at = virtual();
      countRequest(at);
      SimRoom polled = byId[(int) roomId];
      if (at >= measureFrom && at < measureTo && polled.lastPollAt >= measureFrom) {
        long gap = at - polled.lastPollAt;
        maxPollGapMs = Math.max(maxPollGapMs, gap);
        polled.maxPollGapInWindowMs = Math.max(polled.maxPollGapInWindowMs, gap);
        if (gap > scenario.maxIntervalMs()) {
          pollsOverMaxInterval++;
        }
      }
      polled.lastPollAt = at;
      if (at >= measureFrom && at < measureTo) {
        polled.pollsInWindow++;
      }
      if (roomId == trackedRoomId) {
        trackedPolls.add(at);
      }
      long latency = LATENCY_MS
          + (LATENCY_JITTER_MS > 0 ? (long) (-Math.log(1 - latencyJitter.nextDouble()) * LATENCY_JITTER_MS) : 0);
      time.after(latency, () -> done.accept(polled.poll(virtual())));
    }

    @Override
    public void roomInit(long requestedId, Consumer<RoomInitResult> done) {
      throw new IllegalStateException("every room id is known in the simulation");
    }

    @Override
    public void submit(SequencedBatch batch) {
      if (batch.stream() == null) {
        return;
      }
      SimRoom room = byId[(int) batch.stream().id()];
      for (SourceItem item : batch.items()) {
        String id = item.value().getString("id");
        room.capture(Integer.parseInt(id.substring(id.indexOf('-') + 1)));
      }
    }

    @Override
    public boolean hasRoomFor(int messages) {
      return true;
    }

    private void countRequest(long now) {
      while (!lastSecond.isEmpty() && lastSecond.peekFirst() <= now - 1000) {
        lastSecond.pollFirst();
      }
      lastSecond.addLast(now);
      maxInOneSecond = Math.max(maxInOneSecond, lastSecond.size());
      if (now >= measureFrom && now < measureTo) {
        pollsInWindow++;
      }
    }
  }

  /** One room of the model: a piecewise-constant-rate Poisson process and the last 10 arrivals. */
  private static final class SimRoom {
    final long id;
    final SplittableRandom random;
    final double[] segmentStarts;
    final double[] segmentRates;
    final double[] last = new double[WINDOW];
    final Danmaku[] lastMessages = new Danmaku[WINDOW];
    long total;
    long lastPollAt = Long.MIN_VALUE;
    long maxPollGapInWindowMs;
    long pollsInWindow;
    double clock;
    int segment;
    long measureFrom;
    long measureTo;
    long generatedInWindow;
    long capturedInWindow;
    boolean track;
    double[] times = new double[256];
    final BitSet captured = new BitSet();

    SimRoom(long id, SplittableRandom random, double[] segmentStarts, double[] segmentRates) {
      this.id = id;
      this.random = random;
      this.segmentStarts = segmentStarts;
      this.segmentRates = segmentRates;
      this.clock = segmentStarts[0];
    }

    /** Generates every arrival up to t; memorylessness lets a draw crossing a rate change restart there. */
    void advanceTo(double t) {
      while (clock < t) {
        double rate = segmentRates[segment] / 1000.0;
        double segmentEnd = segment + 1 < segmentStarts.length ? segmentStarts[segment + 1] : Double.POSITIVE_INFINITY;
        double next = rate > 0 ? clock - Math.log(1 - random.nextDouble()) / rate : Double.POSITIVE_INFINITY;
        if (next >= segmentEnd) {
          if (segmentEnd > t) {
            clock = t;
            return;
          }
          clock = segmentEnd;
          segment++;
          continue;
        }
        if (next > t) {
          // The draw is redone from t: exact for a Poisson process, and it keeps the state simple.
          clock = t;
          return;
        }
        clock = next;
        arrive(next);
      }
    }

    private void arrive(double at) {
      int slot = (int) (total % WINDOW);
      last[slot] = at;
      String text = "m" + total;
      // A unique id_str, as gethistory gives: the relay's deduper aligns windows by it.
      lastMessages[slot] = new Danmaku(DanmakuList.ROOM, text, 1, "n", "", wholeSecond(at), id + "-" + total, "", null,
          EMPTY_RAW);
      if (total == times.length) {
        times = Arrays.copyOf(times, times.length * 2);
      }
      times[(int) total] = at;
      total++;
      if (at >= measureFrom && at < measureTo) {
        generatedInWindow++;
      }
    }

    double[] arrivalTimes() {
      return Arrays.copyOf(times, (int) total);
    }

    /** The relay published message {@code index}: counted once. */
    void capture(int index) {
      if (!captured.get(index)) {
        captured.set(index);
        double at = times[index];
        if (at >= measureFrom && at < measureTo) {
          capturedInWindow++;
        }
      }
    }

    /** The answer at t: the last 10 arrivals, oldest first, timestamps in whole seconds. */
    PollResult poll(long t) {
      advanceTo(t);
      int windowSize = (int) Math.min(total, WINDOW);
      List<Danmaku> window = new ArrayList<>(windowSize);
      for (long i = total - windowSize; i < total; i++) {
        window.add(lastMessages[(int) (i % WINDOW)]);
      }
      return new PollResult.Success(window, List.of());
    }

    /** Epoch ms at one-second resolution, as the legacy API's timeline gives them. */
    private static long wholeSecond(double atMs) {
      return Math.floorDiv((long) Math.floor(atMs), 1000) * 1000 + EPOCH_OFFSET_MS;
    }
  }

  private static final JsonObject EMPTY_RAW = new JsonObject();

  /** Virtual time 0 is this epoch instant (a whole second) for the scheduler and the message timestamps. */
  static final long EPOCH_OFFSET_MS = 1_764_000_000_000L;

  public static Scenario s1(String strategy) {
    return new Scenario("S1", 1000, 1.1, 300, 50, strategy, 3000, 100, 60_000, 60_000, 300_000, 42);
  }

  public static Scenario s2(String strategy) {
    return new Scenario("S2", 1000, 1.1, 1000, 100, strategy, 3000, 100, 60_000, 60_000, 300_000, 43);
  }

  static String row(Result r) {
    Scenario s = r.scenario();
    return String.format(Locale.ROOT, "%-3s %-9s %6d %6.0f %5.0f %9.1f%% %8.1f%% %10.1f%% %8.1f %6d %8.1f %6d",
        s.name(), s.strategy(), s.rooms(), s.totalRate(), s.budget(), 100 * r.capture(), 100 * r.oracleCapture(),
        100 * r.busiestRoomCapture(), r.pollsPerSecond(), r.maxRequestsInOneSecond(), r.maxPollGapMs() / 1000.0,
        r.pollsOverMaxInterval());
  }

  static String header() {
    return "scn strategy   rooms  msg/s  budg   capture   oracle   busiest   polls/s maxIn1s  maxGap  >maxIv";
  }

  /** The last rank of each band in the per-rank tables (here and in CaptureBench). */
  public static final int[] RANK_BANDS = {1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000};

  private static void printRanks() {
    System.out.println(header());
    for (Scenario s : List.of(s1("adaptive"), s2("adaptive"))) {
      for (long[] watched : List.of(new long[0], new long[] {10, 50, 200, 500, 950})) {
        Watched w = runWatched(s, watched);
        Result r = w.result();
        System.out.println(row(r) + String.format(Locale.ROOT, "  of the oracle %.1f%%, %d watched (their capture %.1f%%)",
            100 * r.capture() / r.oracleCapture(), watched.length, 100 * w.watchedCapture()));
        if (watched.length > 0) {
          continue;
        }
        double[] rates = w.rooms().stream().mapToDouble(RoomFigures::rate).toArray();
        double[] atBudget = oraclePolls(rates, s.budget(), s.minIntervalMs(), s.maxIntervalMs());
        double[] atSpent = oraclePolls(rates, r.pollsPerSecond(), s.minIntervalMs(), s.maxIntervalMs());
        System.out.println("  ranks      msg/s  polls/s: relay  oracle  oracle@spent   capture: relay  oracle   msg/s lost");
        int from = 1;
        for (int to : RANK_BANDS) {
          double rate = 0;
          double relayPolls = 0;
          double bandOraclePolls = 0;
          double spentPolls = 0;
          double oracleCaptured = 0;
          long generated = 0;
          long captured = 0;
          for (int k = from; k <= Math.min(to, rates.length); k++) {
            RoomFigures f = w.rooms().get(k - 1);
            rate += f.rate();
            relayPolls += f.pollsPerSecond();
            bandOraclePolls += atBudget[k - 1];
            spentPolls += atSpent[k - 1];
            oracleCaptured += atBudget[k - 1] * expectedMinPoisson(f.rate() / atBudget[k - 1], WINDOW);
            generated += f.generated();
            captured += f.captured();
          }
          double relayCapture = generated == 0 ? 1 : (double) captured / generated;
          System.out.printf(Locale.ROOT, "  %4d-%-4d %7.2f         %7.3f %7.3f %7.3f          %6.1f%% %6.1f%%  %7.2f%n",
              from, to, rate, relayPolls, bandOraclePolls, spentPolls, 100 * relayCapture, 100 * oracleCaptured / rate,
              oracleCaptured - relayCapture * rate);
          from = to + 1;
        }
      }
    }
  }

  /** Jumps at assorted phases of the silent room's floor interval. */
  static final long[] GO_LIVE_JUMPS_MS = {100_000, 113_300, 131_700, 147_900, 162_100};

  /**
   * Prints the scenarios' figures; {@code ranks} prints instead S1 and S2 adaptive with and without five watched
   * rooms, of the oracle, and per band of rooms by rank the relay's polls and capture beside the oracle's (at the
   * budget and at the polls the relay spent): where the capture the oracle would have is lost.
   */
  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("ranks")) {
      printRanks();
      return;
    }
    System.out.println(header());
    for (Scenario s : List.of(s1("fixed"), s1("adaptive"), s2("fixed"), s2("adaptive"))) {
      System.out.println(row(run(s)));
    }
    System.out.println("go-live: S1 background + one silent room at 50 msg/s for 90 s, then silent again");
    System.out.println("  jump at   first poll   >=90% captured from (after that poll)   interval >= 10 s after quiet");
    for (long jump : GO_LIVE_JUMPS_MS) {
      GoLive g = goLive(s1("adaptive"), jump, 90_000, 50);
      System.out.printf(Locale.ROOT, "  %6.1f s   %6.1f s    %6.2f s (%5.2f s)                    %5.1f s%n", g.jumpAtS(),
          g.detectedAfterS(), g.capturingAfterS(), g.followedAfterDetectionS(), g.releasedAfterS());
    }
  }
}
