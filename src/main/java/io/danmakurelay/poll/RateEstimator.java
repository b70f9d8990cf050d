package io.danmakurelay.poll;

/**
 * One room's message rate, estimated from what its polls showed. Reads {@link PollObservation}s, no clock.
 *
 * <p>The core is a ratio of exponentially decayed sums, messages / seconds observed, so polls of any spacing
 * weigh by the time they cover. The memory holds about {@link #MEMORY_MESSAGES} expected messages (a busy
 * room forgets in seconds, a quiet one keeps minutes), which keeps the relative noise near 1/sqrt(60).
 *
 * <p>Censoring: a poll only shows the last 10 messages, so a full window with no overlap (a gap) says "at
 * least 10", never how many. Averaging that 10 in would pin the estimate of a busy room at 10 per poll
 * interval, however busy it is. Instead a censored poll either
 * <ul>
 *   <li>is unsurprising (the estimate expected about 10 anyway): its count is imputed as E[N | N >= 10]
 *       under the current estimate (an EM step for a censored Poisson count), or</li>
 *   <li>is evidence of more (the estimate made a full window very unlikely, or the window's own timestamps,
 *       10 messages in a few seconds, show a far higher rate, or full windows in a row were together improbable, or
 *       the estimate itself came from a censored window and so is only a lower bound): the
 *       estimate restarts at the highest of fresh/elapsed, the timestamp rate and twice the old estimate,
 *       with little weight, so the next, uncensored polls correct it within a few polls.</li>
 * </ul>
 * Doubling on repeated censoring finds any rate in log2(rate ratio) polls, like TCP slow start. Only
 * surprising windows restart: a busy room polled at ~6 expected messages still sees a full window now and
 * then, and restarting on those (10 messages in 0.1 s "is" 100/s) would double its estimate for nothing.
 * The mirror case, polls with far fewer messages than expected, restarts low so a room gone quiet frees
 * its share within a few polls rather than a few memory spans.
 */
final class RateEstimator {

  static final int WINDOW = 10;
  static final double MEMORY_MESSAGES = 60;
  static final double MIN_MEMORY_S = 5;
  static final double MAX_MEMORY_S = 300;
  /** The first window's history weighs at most this long: it is one sample, whatever it spans. */
  static final double FIRST_WEIGHT_S = 30;
  /**
   * After a restart the new level weighs as much as this many messages (about one poll's worth), so the
   * next honest counts move it most of the way at once, at any rate.
   */
  static final double RESTART_MESSAGES = 5;
  /** A full window that the estimate gave less than this probability is evidence the rate rose. */
  static final double SURPRISE_PROBABILITY = 0.01;
  /**
   * Ten timestamps spanning a third of what the estimate predicts: for 9 exponential gaps that happens by
   * chance about 4 times in 1000 (Gamma(9) below a third of its mean), so the rate rose.
   */
  static final double TIMESTAMP_SURPRISE_FACTOR = 3;
  /**
   * Polls in a row with fewer new messages than expected, whose total the estimate gave less than this
   * probability: the room went quiet.
   */
  static final double DROP_PROBABILITY = 0.001;
  /** A run of low polls this long (in expected messages) without a verdict starts over. */
  static final double MAX_LOW_STREAK_EXPECTED = 200;
  /** Full windows in a row that the estimate gave, together, less than this probability double it. */
  static final double STREAK_SURPRISE_PROBABILITY = 0.001;

  private final double maxRatePerSecond;
  private boolean observed;
  private long lastObservedAt;
  private double messages;
  private double seconds;
  /** log P(every full window since the last uncensored poll) under the estimate at each poll. */
  private double censoredStreakLogProbability;
  /** Polls in a row with fewer messages than expected: their messages, expected messages and seconds. */
  private double lowStreakMessages;
  private double lowStreakExpected;
  private double lowStreakSeconds;
  /** The estimate came from censored windows only: the truth is probably higher, so keep doubling. */
  private boolean lowerBound;

  /** {@code maxRatePerSecond} caps the estimate: doubling must stop where polling could no longer tell. */
  RateEstimator(double maxRatePerSecond) {
    this.maxRatePerSecond = maxRatePerSecond;
  }

  boolean hasEstimate() {
    return observed;
  }

  double ratePerSecond() {
    return seconds > 0 ? messages / seconds : 0;
  }

  void observe(long nowMs, PollObservation observation) {
    if (!observed) {
      observeFirst(nowMs, observation);
    } else {
      observeNext(nowMs, observation);
    }
    messages = Math.min(messages, maxRatePerSecond * seconds);
  }

  /**
   * The first window holds history, not messages since a previous poll: {@code w} messages back to the oldest
   * one's timestamp. A full window is censored too, so its span is used as a lower bound.
   */
  private void observeFirst(long nowMs, PollObservation o) {
    observed = true;
    lastObservedAt = nowMs;
    int size = Math.max(0, o.windowSize());
    double rate = 0;
    double weight = FIRST_WEIGHT_S;
    if (size > 0 && o.oldestTsMs() > 0) {
      double age = Math.max(1.0, (nowMs - o.oldestTsMs()) / 1000.0);
      rate = size / age;
      weight = Math.min(age, FIRST_WEIGHT_S);
      if (size >= WINDOW) {
        rate = Math.max(rate, windowRate(o));
      }
    }
    censoredStreakLogProbability = 0;
    lowerBound = size >= WINDOW;
    seconds = weight;
    messages = rate * weight;
  }

  private void observeNext(long nowMs, PollObservation o) {
    if (nowMs <= lastObservedAt) {
      // A clock stepped back (or two answers at one instant) says nothing about elapsed time: re-anchor only.
      lastObservedAt = nowMs;
      return;
    }
    double elapsed = (nowMs - lastObservedAt) / 1000.0;
    lastObservedAt = nowMs;
    double rate = ratePerSecond();
    double expected = rate * elapsed;
    double decay = Math.exp(-elapsed / memorySeconds(rate));
    int fresh = Math.max(0, o.fresh());
    if (!censored(o)) {
      censoredStreakLogProbability = 0;
      lowerBound = false;
      if (fresh < expected && lowStreakExpected + expected < MAX_LOW_STREAK_EXPECTED) {
        lowStreakMessages += fresh;
        lowStreakExpected += expected;
        lowStreakSeconds += elapsed;
        // The run's total against its total expectation (a sum of Poisson counts is Poisson), not a product
        // of per-poll tails, which any long run of slightly-below-average polls would make small.
        if (atMost((int) lowStreakMessages, lowStreakExpected) < DROP_PROBABILITY) {
          // Far fewer than expected (a room going quiet): jump down instead of decaying over a memory span,
          // by at most a factor 4 at a time so that an unlucky run of a busy room costs little.
          double observedRate = (lowStreakMessages + 1) / lowStreakSeconds;
          resetLowStreak();
          restart(Math.max(observedRate, rate / 4));
          return;
        }
      } else {
        resetLowStreak();
      }
      messages = messages * decay + fresh;
      seconds = seconds * decay + elapsed;
      return;
    }
    resetLowStreak();
    double fullWindowProbability = atLeast(WINDOW, expected);
    censoredStreakLogProbability += Math.log(Math.max(fullWindowProbability, 1e-300));
    double fromTimestamps = windowRate(o);
    boolean surprising = lowerBound
        || censoredStreakLogProbability < Math.log(STREAK_SURPRISE_PROBABILITY)
        || fullWindowProbability < SURPRISE_PROBABILITY
        || fromTimestamps > TIMESTAMP_SURPRISE_FACTOR * rate;
    if (surprising) {
      censoredStreakLogProbability = 0;
      lowerBound = true;
      restart(Math.max(Math.max(fresh / elapsed, fromTimestamps), 2 * rate));
      return;
    }
    // A full window the estimate could explain: an EM step, the count replaced by its expectation.
    double imputed = Math.max(fresh, expectedGivenAtLeast(WINDOW, expected));
    messages = messages * decay + imputed;
    seconds = seconds * decay + elapsed;
  }

  private void resetLowStreak() {
    lowStreakExpected = 0;
    lowStreakMessages = 0;
    lowStreakSeconds = 0;
  }

  private void restart(double rate) {
    double capped = Math.min(rate, maxRatePerSecond);
    messages = RESTART_MESSAGES;
    seconds = RESTART_MESSAGES / capped;
  }

  /** A gap, or a full window of nothing but new messages: the true count may be anything from 10 up. */
  static boolean censored(PollObservation o) {
    return o.gap() || (o.windowSize() >= WINDOW && o.fresh() >= WINDOW);
  }

  /**
   * The rate the window's own timestamps show: w messages spanning t seconds hold w-1 inter-arrival gaps.
   * Timestamps have one-second resolution, so a span under a second counts as one: for a very busy room
   * this is a lower bound (about 9/s), which is why censored polls also double.
   */
  static double windowRate(PollObservation o) {
    if (o.windowSize() < 2 || o.oldestTsMs() <= 0 || o.newestTsMs() < o.oldestTsMs()) {
      return 0;
    }
    double span = Math.max(1.0, (o.newestTsMs() - o.oldestTsMs()) / 1000.0);
    return (o.windowSize() - 1) / span;
  }

  private static double memorySeconds(double rate) {
    if (rate <= 0) {
      return MAX_MEMORY_S;
    }
    return Math.max(MIN_MEMORY_S, Math.min(MAX_MEMORY_S, MEMORY_MESSAGES / rate));
  }

  /** P(N >= k) for N ~ Poisson(mean). */
  static double atLeast(int k, double mean) {
    if (mean <= 0) {
      return k <= 0 ? 1 : 0;
    }
    double term = Math.exp(-mean);
    double below = 0;
    for (int j = 0; j < k; j++) {
      below += term;
      term *= mean / (j + 1);
    }
    return Math.max(0, 1 - below);
  }

  /** P(N <= k) for N ~ Poisson(mean). */
  static double atMost(int k, double mean) {
    return 1 - atLeast(k + 1, mean);
  }

  /** E[N | N >= k] = mean * P(N >= k-1) / P(N >= k), since n p(n) = mean p(n-1) for a Poisson law. */
  static double expectedGivenAtLeast(int k, double mean) {
    double tail = atLeast(k, mean);
    if (tail < 1e-12) {
      return k;
    }
    return Math.max(k, mean * atLeast(k - 1, mean) / tail);
  }
}
