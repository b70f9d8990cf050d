package io.danmakurelay.poll;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * An offline, deterministic model of the simulator driven by the real {@link PollScheduler} in virtual time:
 * Zipf room rates, Poisson arrivals, each poll answering the last 10 messages with one-second timestamps.
 * Measures the share of messages captured and checks the budget in every one-second window.
 * Run: {@code mvn -B -o -q test -Dtest=CaptureSimulationTest} (prints the table), or {@link #main}.
 */
public final class CaptureSimulation {

  static final int WINDOW = 10;
  static final long LATENCY_MS = 50;
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
  static double oracleCapture(double[] rates, double budget, long minIntervalMs, long maxIntervalMs) {
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
    double captured = 0;
    double total = 0;
    for (double rate : rates) {
      double polls = Math.max(lowest, Math.min(highest, rate / m));
      captured += polls * expectedMinPoisson(rate / polls, WINDOW);
      total += rate;
    }
    return captured / total;
  }

  /** E[min(N, k)] for N ~ Poisson(mean) = Σ_{j<k} P(N > j). */
  static double expectedMinPoisson(double mean, int k) {
    double sum = 0;
    for (int j = 0; j < k; j++) {
      sum += RateEstimator.atLeast(j + 1, mean);
    }
    return sum;
  }

  public static Result run(Scenario scenario) {
    double[] rates = zipfRates(scenario.rooms(), scenario.zipf(), scenario.totalRate());
    List<SimRoom> rooms = new ArrayList<>();
    SplittableRandom seeds = new SplittableRandom(scenario.seed());
    for (int k = 0; k < rates.length; k++) {
      rooms.add(new SimRoom(k + 1, seeds.split(), new double[] {-HISTORY_MS}, new double[] {rates[k]}));
    }
    Run run = new Run(scenario, rooms, -1, 0);
    run.execute();
    long generated = 0;
    long captured = 0;
    for (SimRoom room : rooms) {
      generated += room.generatedInWindow;
      captured += room.capturedInWindow;
    }
    SimRoom busiest = rooms.get(0);
    double busiestCapture = busiest.generatedInWindow == 0 ? 1
        : (double) busiest.capturedInWindow / busiest.generatedInWindow;
    return new Result(scenario, generated, captured, run.pollsInWindow, run.maxInOneSecond,
        oracleCapture(rates, scenario.budget(), scenario.minIntervalMs(), scenario.maxIntervalMs()), busiestCapture,
        run.maxPollGapMs, run.pollsOverMaxInterval);
  }

  /**
   * The background of {@code scenario} plus one silent room that receives {@code liveRate} msg/s from
   * {@code jumpAtMs} for {@code liveForMs}, then nothing again.
   */
  public static GoLive goLive(Scenario scenario, long jumpAtMs, long liveForMs, double liveRate) {
    double[] rates = zipfRates(scenario.rooms(), scenario.zipf(), scenario.totalRate());
    List<SimRoom> rooms = new ArrayList<>();
    SplittableRandom seeds = new SplittableRandom(scenario.seed() ^ jumpAtMs);
    SimRoom live = new SimRoom(0, seeds.split(),
        new double[] {-HISTORY_MS, jumpAtMs, jumpAtMs + liveForMs}, new double[] {0, liveRate, 0});
    live.track = true;
    rooms.add(live);
    for (int k = 0; k < rates.length; k++) {
      rooms.add(new SimRoom(k + 1, seeds.split(), new double[] {-HISTORY_MS}, new double[] {rates[k]}));
    }
    Run run = new Run(scenario, rooms, 0, jumpAtMs + liveForMs + RELEASE_WATCH_MS);
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

  /** Drives the scheduler the way PollerVerticle does, with answers arriving LATENCY_MS after each request. */
  private static final class Run {
    final Scenario scenario;
    final List<SimRoom> rooms;
    final SimRoom[] byId;
    final long trackedRoomId;
    final PollScheduler scheduler;
    final long measureFrom;
    final long measureTo;
    /** Messages of the measured period are still counted when captured up to maxInterval later. */
    final long end;
    final ArrayDeque<Long> lastSecond = new ArrayDeque<>();
    final List<Long> trackedPolls = new ArrayList<>();
    final List<long[]> trackedIntervals = new ArrayList<>();
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
      this.scheduler = new PollScheduler(scenario.settings(), new SplittableRandom(scenario.seed() + 1));
      this.measureFrom = scenario.warmupMs();
      this.measureTo = scenario.warmupMs() + scenario.measureMs();
      this.end = endMs > 0 ? endMs : measureTo + scenario.maxIntervalMs() + 5_000;
      for (SimRoom room : rooms) {
        room.measureFrom = measureFrom;
        room.measureTo = measureTo;
      }
    }

    void execute() {
      List<SimRoom> order = new ArrayList<>(rooms);
      Collections.shuffle(order, new Random(scenario.seed()));
      for (SimRoom room : order) {
        scheduler.addRoom(room.id, EPOCH_OFFSET_MS);
      }
      PriorityQueue<long[]> answers = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
      long now = 0;
      long nextSample = 0;
      while (now <= end) {
        Decision decision = scheduler.next(EPOCH_OFFSET_MS + now);
        long wake;
        if (decision instanceof Decision.PollNow poll) {
          countRequest(now);
          answers.add(new long[] {now + LATENCY_MS, poll.roomId()});
          SimRoom polled = byId[(int) poll.roomId()];
          if (now >= measureFrom && now < measureTo && polled.lastPollAt >= measureFrom) {
            long gap = now - polled.lastPollAt;
            maxPollGapMs = Math.max(maxPollGapMs, gap);
            if (gap > scenario.maxIntervalMs()) {
              pollsOverMaxInterval++;
            }
          }
          polled.lastPollAt = now;
          if (poll.roomId() == trackedRoomId) {
            trackedPolls.add(now);
          }
          continue;
        } else if (decision instanceof Decision.WaitUntil wait) {
          wake = wait.atMs() - EPOCH_OFFSET_MS;
          if (wake <= now) {
            throw new IllegalStateException("WaitUntil(" + wake + ") is not after now=" + now);
          }
        } else {
          wake = Long.MAX_VALUE;
        }
        long nextAnswer = answers.isEmpty() ? Long.MAX_VALUE : answers.peek()[0];
        now = Math.min(wake, nextAnswer);
        if (trackedRoomId >= 0) {
          now = Math.min(now, nextSample);
          if (now == nextSample) {
            long sampledAt = nextSample;
            scheduler.room(trackedRoomId, EPOCH_OFFSET_MS + now)
                .ifPresent(r -> trackedIntervals.add(new long[] {sampledAt, r.intervalMs()}));
            nextSample += 250;
          }
        }
        while (!answers.isEmpty() && answers.peek()[0] == now) {
          long[] answer = answers.poll();
          SimRoom room = byId[(int) answer[1]];
          scheduler.onSuccess(room.id, EPOCH_OFFSET_MS + now, room.poll(now));
        }
      }
      for (SimRoom room : rooms) {
        room.advanceTo(end);
      }
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
    long total;
    long totalAtLastPoll;
    long lastPollAt = Long.MIN_VALUE;
    boolean polledBefore;
    double clock;
    int segment;
    long measureFrom;
    long measureTo;
    long generatedInWindow;
    long capturedInWindow;
    boolean track;
    double[] trackedTimes = new double[1024];
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
      last[(int) (total % WINDOW)] = at;
      if (track) {
        if (total == trackedTimes.length) {
          trackedTimes = Arrays.copyOf(trackedTimes, trackedTimes.length * 2);
        }
        trackedTimes[(int) total] = at;
      }
      total++;
      if (at >= measureFrom && at < measureTo) {
        generatedInWindow++;
      }
    }

    double[] arrivalTimes() {
      return Arrays.copyOf(trackedTimes, (int) total);
    }

    /** The answer at t: the last 10 arrivals, the new ones among them captured, timestamps in whole seconds. */
    PollObservation poll(long t) {
      advanceTo(t);
      long arrived = total - totalAtLastPoll;
      int windowSize = (int) Math.min(total, WINDOW);
      int fresh = polledBefore ? (int) Math.min(arrived, WINDOW) : windowSize;
      boolean gap = polledBefore && arrived >= WINDOW;
      for (long i = total - fresh; i < total; i++) {
        double at = last[(int) (i % WINDOW)];
        if (at >= measureFrom && at < measureTo) {
          capturedInWindow++;
        }
        if (track) {
          captured.set((int) i);
        }
      }
      long oldest = 0;
      long newest = 0;
      if (windowSize > 0) {
        oldest = wholeSecond(last[(int) ((total - windowSize) % WINDOW)]);
        newest = wholeSecond(last[(int) ((total - 1) % WINDOW)]);
      }
      totalAtLastPoll = total;
      polledBefore = true;
      return new PollObservation(fresh, windowSize, gap, oldest, newest);
    }

    /** Epoch ms at one-second resolution, as the legacy API's timeline gives them. */
    private static long wholeSecond(double atMs) {
      return Math.floorDiv((long) Math.floor(atMs), 1000) * 1000 + EPOCH_OFFSET_MS;
    }
  }

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

  /** Jumps at assorted phases of the silent room's floor interval. */
  static final long[] GO_LIVE_JUMPS_MS = {100_000, 113_300, 131_700, 147_900, 162_100};

  public static void main(String[] args) {
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
