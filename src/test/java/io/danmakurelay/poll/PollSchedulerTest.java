package io.danmakurelay.poll;

import static io.danmakurelay.poll.SchedulerDriver.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmakurelay.poll.SchedulerDriver.Answer;
import io.danmakurelay.poll.SchedulerDriver.SteadyRoom;
import io.danmakurelay.upstream.FailureKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PollSchedulerTest {

  private static final PollObservation EMPTY = new PollObservation(0, 0, false, 0, 0);

  static SchedulerSettings settings(String strategy, double rps, long intervalMs, long minMs, long maxMs) {
    return new SchedulerSettings(strategy, rps, intervalMs, minMs, maxMs, 2000, 300_000);
  }

  private static PollScheduler scheduler(SchedulerSettings settings) {
    return new PollScheduler(settings, new SplittableRandom(7));
  }

  @Test
  @DisplayName("With no room, or only invalid rooms, the scheduler is idle")
  void idleWithoutRooms() {
    PollScheduler scheduler = scheduler(settings("adaptive", 5, 3000, 1000, 60_000));
    assertThat(scheduler.next(T0)).isEqualTo(new Decision.Idle());
    scheduler.addRoom(1, T0);
    scheduler.markInvalid(1);
    assertThat(scheduler.next(T0)).isEqualTo(new Decision.Idle());
  }

  @Test
  @DisplayName("A new room is due at once, and is not polled again while its request is in flight")
  void newRoomDueAtOnce() {
    PollScheduler scheduler = scheduler(settings("adaptive", 5, 3000, 1000, 60_000));
    scheduler.addRoom(42, T0);
    assertThat(scheduler.next(T0)).isEqualTo(new Decision.PollNow(42));
    Decision again = scheduler.next(T0 + 5000);
    assertThat(again).isInstanceOf(Decision.WaitUntil.class);
    scheduler.onSuccess(42, T0 + 5000, EMPTY);
    assertThat(scheduler.room(42, T0 + 5000)).get()
        .satisfies(r -> {
          assertThat(r.state()).isEqualTo(RoomState.POLLING);
          assertThat(r.lastPollAtMs()).isEqualTo(T0);
          assertThat(r.nextPollAtMs()).isGreaterThan(T0 + 1000);
        });
  }

  @Test
  @DisplayName("Rooms are served in the order they were added, and adding a followed room again does nothing")
  void addOrderAndDuplicates() {
    PollScheduler scheduler = scheduler(settings("fixed", 100, 3000, 1000, 60_000));
    scheduler.addRoom(3, T0);
    scheduler.addRoom(1, T0 + 1);
    scheduler.addRoom(2, T0 + 2);
    scheduler.addRoom(3, T0 + 3);
    List<Long> order = new ArrayList<>();
    long now = T0 + 10;
    for (int i = 0; i < 3; i++) {
      Decision d = scheduler.next(now);
      if (d instanceof Decision.WaitUntil w) {
        now = w.atMs();
        d = scheduler.next(now);
      }
      order.add(((Decision.PollNow) d).roomId());
    }
    assertThat(order).containsExactly(3L, 1L, 2L);
    assertThat(scheduler.rooms(now)).hasSize(3);
  }

  @Test
  @DisplayName("The budget is never exceeded in any one-second window, whatever the mix of rooms, rates, failures and lookups")
  void budgetNeverExceeded() {
    double[] budgets = {0.5, 1, 2.5, 5, 7.3, 20, 50};
    for (int seed = 0; seed < 24; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      double rps = budgets[random.nextInt(budgets.length)];
      String strategy = random.nextBoolean() ? "adaptive" : "fixed";
      long minMs = random.nextBoolean() ? 100 : 1000;
      PollScheduler scheduler = new PollScheduler(
          new SchedulerSettings(strategy, rps, 100 + random.nextInt(5000), minMs, 60_000, 500, 20_000),
          new SplittableRandom(seed));
      SchedulerDriver driver = new SchedulerDriver(scheduler);
      driver.latencyMs = 1 + random.nextInt(300);
      int rooms = 1 + random.nextInt(300);
      Map<Long, SteadyRoom> model = new HashMap<>();
      for (long id = 1; id <= rooms; id++) {
        model.put(id, new SteadyRoom(random.nextDouble() < 0.2 ? random.nextDouble(60) : random.nextDouble(0.5)));
        scheduler.addRoom(id, T0 + random.nextInt(20_000));
      }
      for (int i = 0; i < 400; i++) {
        driver.acquireAttempts.add(T0 + random.nextLong(120_000));
      }
      double retryShare = random.nextDouble(0.3);
      double riskShare = random.nextDouble() < 0.3 ? 0.01 : 0;
      driver.runUntil(T0 + 120_000, (roomId, at) -> {
        double draw = random.nextDouble();
        if (draw < riskShare) {
          return Answer.fail(FailureKind.RISK_CONTROL);
        }
        if (draw < riskShare + retryShare) {
          return Answer.fail(FailureKind.RETRY);
        }
        return Answer.ok(model.get(roomId).poll(at));
      });
      int cap = Math.max(1, (int) Math.floor(rps));
      assertThat(SchedulerDriver.maxInAnySecond(driver.requests))
          .as("seed %d: %s at %.1f req/s, %d rooms", seed, strategy, rps, rooms)
          .isLessThanOrEqualTo(cap);
      assertThat(driver.requests).as("seed %d made requests", seed).isNotEmpty();
    }
  }

  @Test
  @DisplayName("fixed: a room is polled every poll.intervalMs when the budget allows, never sooner")
  void fixedIntervalRespected() {
    PollScheduler scheduler = scheduler(settings("fixed", 5, 3000, 1000, 60_000));
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    scheduler.addRoom(1, T0);
    scheduler.addRoom(2, T0);
    SteadyRoom busy = new SteadyRoom(40);
    driver.runUntil(T0 + 60_000, (room, at) -> Answer.ok(room == 1 ? busy.poll(at) : EMPTY));
    for (long room : new long[] {1, 2}) {
      List<Long> times = driver.pollTimes(room);
      assertThat(times).hasSizeBetween(20, 21);
      for (int i = 1; i < times.size(); i++) {
        assertThat(times.get(i) - times.get(i - 1)).isBetween(3000L, 3000L + 200);
      }
    }
  }

  @Test
  @DisplayName("fixed: when the budget cannot cover every room, rooms are served round-robin, none starves")
  void fixedRoundRobinUnderShortBudget() {
    PollScheduler scheduler = scheduler(settings("fixed", 2, 1000, 100, 60_000));
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    for (long id = 1; id <= 20; id++) {
      scheduler.addRoom(id, T0);
    }
    driver.runUntil(T0 + 100_000, (room, at) -> Answer.ok(EMPTY));
    for (long id = 1; id <= 20; id++) {
      List<Long> times = driver.pollTimes(id);
      assertThat(times).as("room %d", id).hasSizeBetween(9, 11);
      for (int i = 1; i < times.size(); i++) {
        assertThat(times.get(i) - times.get(i - 1)).as("room %d", id).isBetween(9_000L, 11_000L);
      }
    }
  }

  @Test
  @DisplayName("adaptive: busy rooms get more polls, in proportion to their rates, within min and max interval")
  void adaptiveFavoursBusyRooms() {
    PollScheduler scheduler = scheduler(settings("adaptive", 10, 3000, 100, 60_000));
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    double[] rates = {20, 5, 1, 0};
    List<SteadyRoom> rooms = new ArrayList<>();
    for (int i = 0; i < rates.length; i++) {
      rooms.add(new SteadyRoom(rates[i]));
      scheduler.addRoom(i + 1, T0);
    }
    for (long id = 5; id <= 30; id++) {
      scheduler.addRoom(id, T0);
    }
    driver.runUntil(T0 + 180_000, (room, at) -> Answer.ok(room <= 4 ? rooms.get((int) room - 1).poll(at) : EMPTY));
    long from = T0 + 60_000;
    int[] counts = new int[31];
    for (SchedulerDriver.Poll p : driver.polls) {
      if (p.atMs() >= from) {
        counts[(int) p.roomId()]++;
      }
    }
    assertThat(counts[1]).isGreaterThan(3 * counts[2]);
    assertThat(counts[2]).isGreaterThan(3 * counts[3]);
    assertThat(counts[3]).isGreaterThan(counts[4]);
    for (long id = 1; id <= 30; id++) {
      List<Long> times = driver.pollTimes(id);
      for (int i = 1; i < times.size(); i++) {
        long gap = times.get(i) - times.get(i - 1);
        assertThat(gap).as("room %d", id).isGreaterThanOrEqualTo(100).isLessThanOrEqualTo(60_000);
      }
    }
    assertThat(scheduler.room(1, driver.now).orElseThrow().estimatedRatePerSecond()).isBetween(16.0, 24.0);
    long pollsLastMinute = driver.polls.stream().filter(p -> p.atMs() >= T0 + 120_000 && p.atMs() < T0 + 180_000).count();
    assertThat(pollsLastMinute / 60.0).as("the budget is used").isGreaterThan(8.0).isLessThanOrEqualTo(10.0);
  }

  @Test
  @DisplayName("adaptive: when round trips hold the budget's slots, the plan divides the polls the gate can really "
      + "grant, so each room gets the interval it was planned (not every room stretched alike)")
  void planFitsWhatTheGateGrants() {
    PollScheduler scheduler = scheduler(settings("adaptive", 10, 3000, 100, 60_000));
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    driver.roundTripPaid = true;
    driver.latencyMs = 500; // each request holds its slot 1.5 s: about 10 / 1.5 = 6.7 grants a second
    // Busy enough to want more than the budget, none so busy that one poll out at a time caps it (500 ms each).
    double[] rates = {3, 3, 2, 2, 2, 1.5, 1.5, 1, 1, 1, 1, 0.8, 0.8, 0.6, 0.6, 0.5, 0.5, 0.4, 0.3, 0.2};
    List<SteadyRoom> rooms = new ArrayList<>();
    for (int i = 0; i < rates.length; i++) {
      rooms.add(new SteadyRoom(rates[i]));
      scheduler.addRoom(i + 1, T0);
    }
    for (long id = rates.length + 1; id <= 40; id++) {
      scheduler.addRoom(id, T0);
    }
    driver.runUntil(T0 + 240_000, (room, at) ->
        Answer.ok(room <= rates.length ? rooms.get((int) room - 1).poll(at) : EMPTY));

    long from = T0 + 180_000;
    double granted = driver.polls.stream().filter(p -> p.atMs() >= from).count() / 60.0;
    double planned = scheduler.rooms(driver.now).stream().mapToDouble(r -> 1000.0 / r.intervalMs()).sum();
    assertThat(granted).as("polls/s granted").isBetween(5.5, 7.0);
    assertThat(planned).as("polls/s planned, against %.2f granted", granted).isLessThanOrEqualTo(granted * 1.08);
    for (long id = 1; id <= 3; id++) {
      long interval = scheduler.room(id, driver.now).orElseThrow().intervalMs();
      long polls = driver.pollTimes(id).stream().filter(t -> t >= from).count();
      assertThat(polls).as("room %d polls in the last minute at a planned %d ms", id, interval)
          .isGreaterThanOrEqualTo((long) (0.9 * 60_000 / interval));
    }
  }

  @Test
  @DisplayName("adaptive: quiet rooms are still polled at least every poll.maxIntervalMs when the budget allows")
  void quietRoomsNeverForgotten() {
    PollScheduler scheduler = scheduler(settings("adaptive", 20, 3000, 100, 10_000));
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    SteadyRoom loud = new SteadyRoom(200);
    scheduler.addRoom(0, T0);
    for (long id = 1; id <= 100; id++) {
      scheduler.addRoom(id, T0);
    }
    driver.runUntil(T0 + 120_000, (room, at) -> Answer.ok(room == 0 ? loud.poll(at) : EMPTY));
    for (long id = 1; id <= 100; id++) {
      List<Long> times = driver.pollTimes(id);
      assertThat(times).as("room %d", id).hasSizeGreaterThanOrEqualTo(12);
      for (int i = 1; i < times.size(); i++) {
        assertThat(times.get(i) - times.get(i - 1)).as("room %d", id).isLessThanOrEqualTo(10_000);
      }
    }
    List<Long> loudTimes = driver.pollTimes(0);
    for (int i = 1; i < loudTimes.size(); i++) {
      assertThat(loudTimes.get(i) - loudTimes.get(i - 1)).isGreaterThanOrEqualTo(100);
    }
    assertThat(loudTimes.size()).as("the loud room takes the rest of the budget").isGreaterThan(800);
  }

  @Test
  @DisplayName("adaptive: a quiet room going live at 50 msg/s is polled fast within seconds of the poll that shows it")
  void followsRateJump() {
    PollScheduler scheduler = scheduler(settings("adaptive", 20, 3000, 100, 20_000));
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    SteadyRoom room = new SteadyRoom(0);
    scheduler.addRoom(1, T0);
    for (long id = 2; id <= 50; id++) {
      scheduler.addRoom(id, T0);
    }
    SchedulerDriver.Upstream upstream = (id, at) -> Answer.ok(id == 1 ? room.poll(at) : EMPTY);
    driver.runUntil(T0 + 60_000, upstream);
    room.setRate(50, T0 + 60_000);
    driver.runUntil(T0 + 120_000, upstream);
    long seen = driver.pollTimes(1).stream().filter(t -> t > T0 + 60_000).findFirst().orElseThrow();
    assertThat(seen - (T0 + 60_000)).as("seen within one floor interval").isLessThanOrEqualTo(20_000);
    long fastFrom = seen + 5_000;
    List<Long> after = driver.pollTimes(1).stream().filter(t -> t >= fastFrom && t < fastFrom + 10_000).toList();
    assertThat(after.size()).as("polls in the 10 s from 5 s after the jump was seen").isGreaterThanOrEqualTo(50);
    assertThat(scheduler.room(1, driver.now).orElseThrow().estimatedRatePerSecond()).isBetween(35.0, 70.0);

    long livePolls = driver.pollTimes(1).stream().filter(t -> t >= T0 + 110_000 && t < T0 + 120_000).count();
    room.setRate(0, T0 + 120_000);
    driver.runUntil(T0 + 150_000, upstream);
    long quietPolls = driver.pollTimes(1).stream().filter(t -> t >= T0 + 140_000).count();
    assertThat(quietPolls).as("a room gone quiet releases its share").isLessThan(livePolls / 3);
    assertThat(scheduler.room(1, driver.now).orElseThrow().estimatedRatePerSecond()).isLessThan(1.0);
  }

  @Test
  @DisplayName("A RETRY failure backs the room off within [initial, 2*initial], doubling per failure, until a success")
  void backoffOnRetry() {
    PollScheduler scheduler = new PollScheduler(
        new SchedulerSettings("fixed", 50, 1000, 100, 60_000, 2000, 30_000), new SplittableRandom(3));
    scheduler.addRoom(9, T0);
    long now = T0;
    long previousDelay = 0;
    for (int failures = 1; failures <= 6; failures++) {
      Decision d = scheduler.next(now);
      if (d instanceof Decision.WaitUntil w) {
        now = w.atMs();
        d = scheduler.next(now);
      }
      assertThat(d).isEqualTo(new Decision.PollNow(9));
      scheduler.onFailure(9, now + 10, FailureKind.RETRY);
      RoomSchedule room = scheduler.room(9, now + 10).orElseThrow();
      long delay = room.backoffUntilMs() - (now + 10);
      long ceiling = Math.min(30_000, 2000L << failures);
      assertThat(room.state()).isEqualTo(RoomState.BACKOFF);
      assertThat(room.consecutiveFailures()).isEqualTo(failures);
      assertThat(delay).isBetween(Math.max(2000, ceiling / 2), ceiling);
      assertThat(scheduler.next(room.backoffUntilMs() - 1)).isEqualTo(new Decision.WaitUntil(room.backoffUntilMs()));
      assertThat(room.nextPollAtMs()).isEqualTo(room.backoffUntilMs());
      previousDelay = delay;
      now = room.backoffUntilMs();
    }
    assertThat(previousDelay).isLessThanOrEqualTo(30_000);
    assertThat(scheduler.next(now)).isEqualTo(new Decision.PollNow(9));
    scheduler.onSuccess(9, now + 10, EMPTY);
    RoomSchedule recovered = scheduler.room(9, now + 10).orElseThrow();
    assertThat(recovered.state()).isEqualTo(RoomState.POLLING);
    assertThat(recovered.consecutiveFailures()).isZero();
    assertThat(recovered.backoffUntilMs()).isZero();
  }

  @Test
  @DisplayName("Risk control pauses every room and every lookup, grows on repeats, then resumes at half budget")
  void riskControlPausesEverything() {
    PollScheduler scheduler = new PollScheduler(
        new SchedulerSettings("fixed", 10, 200, 100, 60_000, 2000, 300_000), new SplittableRandom(5));
    for (long id = 1; id <= 40; id++) {
      scheduler.addRoom(id, T0);
    }
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    driver.runUntil(T0 + 5_000, (room, at) -> Answer.ok(EMPTY));
    long banAt = driver.now + 1;
    // Several requests in flight answer 412 for the same ban: one pause, not several.
    List<Long> inFlight = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Decision d = scheduler.next(banAt);
      if (d instanceof Decision.PollNow p) {
        inFlight.add(p.roomId());
      }
    }
    scheduler.onFailure(1, banAt + 50, FailureKind.RISK_CONTROL);
    for (long room : inFlight) {
      scheduler.onFailure(room, banAt + 60, FailureKind.RISK_CONTROL);
    }
    long pauseUntil = scheduler.riskControlUntilMs();
    assertThat(pauseUntil - (banAt + 50)).isEqualTo(2000L * RiskControlBackoff.FIRST_PAUSE_FACTOR);
    assertThat(scheduler.next(banAt + 100)).isEqualTo(new Decision.WaitUntil(pauseUntil));
    assertThat(scheduler.tryAcquire(banAt + 100)).isFalse();
    assertThat(scheduler.nextTokenAtMs(banAt + 100)).isGreaterThanOrEqualTo(pauseUntil);
    assertThat(scheduler.rooms(banAt + 100)).allSatisfy(r -> assertThat(r.nextPollAtMs()).isGreaterThanOrEqualTo(pauseUntil));

    driver.now = pauseUntil;
    int before = driver.polls.size();
    driver.runUntil(pauseUntil + 10_000, (room, at) -> Answer.ok(EMPTY));
    int resumed = driver.polls.size() - before;
    assertThat(resumed).as("polls in the 10 s after the pause, at half of 10/s").isBetween(40, 60);
    assertThat(driver.polls.subList(before, driver.polls.size())).allSatisfy(p -> assertThat(p.atMs()).isGreaterThanOrEqualTo(pauseUntil));

    // A second ban soon after: a pause twice as long.
    long secondBan = driver.now + 1;
    scheduler.onFailure(2, secondBan, FailureKind.RISK_CONTROL);
    assertThat(scheduler.riskControlUntilMs() - secondBan).isEqualTo(4000L * RiskControlBackoff.FIRST_PAUSE_FACTOR);

    // Then, long enough without bans, the full budget returns.
    driver.now = scheduler.riskControlUntilMs();
    driver.runUntil(driver.now + RiskControlBackoff.FULL_RECOVERY_MS + 10_000, (room, at) -> Answer.ok(EMPTY));
    long tail = driver.now - 10_000;
    long recent = driver.polls.stream().filter(p -> p.atMs() >= tail).count();
    assertThat(recent).as("polls in the last 10 s, full budget again").isBetween(95L, 100L);
  }

  @Test
  @DisplayName("The risk-control pause doubles on repeated bans up to backoff.maxMs, and the streak decays on success")
  void riskControlPauseBounds() {
    RiskControlBackoff risk = new RiskControlBackoff(2000, 60_000);
    long now = T0;
    long[] expected = {10_000, 20_000, 40_000, 60_000, 60_000};
    for (long pause : expected) {
      risk.onRiskControl(now, now);
      assertThat(risk.pauseUntil() - now).isEqualTo(pause);
      now = risk.pauseUntil() + 1;
    }
    assertThat(risk.budgetShare(now)).isEqualTo(RiskControlBackoff.MIN_BUDGET_SHARE, org.assertj.core.data.Offset.offset(0.01));
    int streak = risk.streak();
    risk.onSuccess(now + RiskControlBackoff.STREAK_DECAY_MS);
    risk.onSuccess(now + 2 * RiskControlBackoff.STREAK_DECAY_MS);
    assertThat(risk.streak()).isEqualTo(streak - 2);
    assertThat(risk.budgetShare(now + RiskControlBackoff.FULL_RECOVERY_MS)).isEqualTo(1.0);
  }

  @Test
  @DisplayName("An invalid room stays listed as invalid and is never polled; a removed room is gone")
  void invalidAndRemovedRooms() {
    PollScheduler scheduler = scheduler(settings("adaptive", 50, 1000, 100, 60_000));
    scheduler.addRoom(1, T0);
    scheduler.addRoom(2, T0);
    scheduler.addRoom(3, T0);
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    driver.runUntil(T0 + 2_000, (room, at) -> room == 1 ? Answer.fail(FailureKind.INVALID_ROOM) : Answer.ok(EMPTY));
    scheduler.markInvalid(2);
    assertThat(scheduler.removeRoom(3)).isTrue();
    assertThat(scheduler.removeRoom(3)).isFalse();
    int polls = driver.polls.size();
    driver.runUntil(T0 + 30_000, (room, at) -> Answer.ok(EMPTY));
    assertThat(driver.polls.subList(polls, driver.polls.size())).isEmpty();
    assertThat(scheduler.next(driver.now)).isEqualTo(new Decision.Idle());
    assertThat(scheduler.rooms(driver.now)).extracting(RoomSchedule::roomId, RoomSchedule::state)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, RoomState.INVALID),
            org.assertj.core.groups.Tuple.tuple(2L, RoomState.INVALID));
    assertThat(scheduler.room(3, driver.now)).isEmpty();
    scheduler.onSuccess(3, driver.now, EMPTY);
    scheduler.onFailure(3, driver.now, FailureKind.RETRY);
    assertThat(scheduler.removeRoom(1)).isTrue();
    assertThat(scheduler.rooms(driver.now)).hasSize(1);
  }

  @Test
  @DisplayName("tryAcquire spends the same budget as polls, and nextTokenAtMs says when the next one comes")
  void lookupsShareTheBudget() {
    PollScheduler scheduler = scheduler(settings("adaptive", 4, 3000, 1000, 60_000));
    assertThat(scheduler.tryAcquire(T0)).isTrue();
    assertThat(scheduler.tryAcquire(T0)).isFalse();
    assertThat(scheduler.nextTokenAtMs(T0)).isEqualTo(T0 + 250);
    scheduler.addRoom(1, T0);
    assertThat(scheduler.next(T0 + 100)).isEqualTo(new Decision.WaitUntil(T0 + 250));
    assertThat(scheduler.next(T0 + 250)).isEqualTo(new Decision.PollNow(1));
    assertThat(scheduler.tryAcquire(T0 + 499)).isFalse();
    assertThat(scheduler.tryAcquire(T0 + 500)).isTrue();
  }

  @Test
  @DisplayName("A wall clock stepped back by an hour does not stall polling until it catches up")
  void clockSteppedBack() {
    PollScheduler scheduler = scheduler(settings("fixed", 5, 3000, 1000, 60_000));
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    scheduler.addRoom(1, T0);
    driver.runUntil(T0 + 10_000, (room, at) -> Answer.ok(EMPTY));
    int before = driver.polls.size();
    driver.now = T0 + 10_000 - 3_600_000;
    driver.runUntil(driver.now + 10_000, (room, at) -> Answer.ok(EMPTY));
    assertThat(driver.polls.size() - before).isBetween(3, 4);
  }

  @Test
  @DisplayName("An injected strategy decides the intervals; the scheduler still enforces the budget and minIntervalMs")
  void injectedStrategy() {
    PollStrategy everySecondOrTen = new PollStrategy() {
      @Override public void addRoom(long roomId, long nowMs) { }
      @Override public void removeRoom(long roomId) { }
      @Override public void observe(long roomId, long nowMs, PollObservation observation) { }
      @Override public void rebalance(double pollsPerSecond, long nowMs) { }
      @Override public long intervalMs(long roomId) {
        return roomId == 1 ? 1000 : roomId == 2 ? 10_000 : 10;
      }
      @Override public double estimatedRatePerSecond(long roomId) {
        return roomId;
      }
    };
    PollScheduler scheduler = new PollScheduler(settings("adaptive", 20, 3000, 500, 60_000), new SplittableRandom(1),
        everySecondOrTen);
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    scheduler.addRoom(1, T0);
    scheduler.addRoom(2, T0);
    scheduler.addRoom(3, T0);
    driver.runUntil(T0 + 60_000, (room, at) -> Answer.ok(EMPTY));
    assertThat(driver.pollTimes(1)).hasSizeBetween(60, 61);
    assertThat(driver.pollTimes(2)).hasSizeBetween(6, 7);
    assertThat(driver.pollTimes(3)).as("10 ms asked, minIntervalMs 500 enforced").hasSizeBetween(119, 121);
    assertThat(scheduler.room(3, driver.now).orElseThrow().estimatedRatePerSecond()).isEqualTo(3.0);
  }

  /** Room 1 at minIntervalMs (100 ms), every other room at 1 s; no rates. */
  private static PollStrategy busiestAtMinInterval() {
    return new PollStrategy() {
      @Override public void addRoom(long roomId, long nowMs) { }
      @Override public void removeRoom(long roomId) { }
      @Override public void observe(long roomId, long nowMs, PollObservation observation) { }
      @Override public void rebalance(double pollsPerSecond, long nowMs) { }
      @Override public long intervalMs(long roomId) {
        return roomId == 1 ? 100 : 1000;
      }
      @Override public double estimatedRatePerSecond(long roomId) {
        return 0;
      }
    };
  }

  @Test
  @DisplayName("With the budget saturated, a room at minIntervalMs goes before rooms more overdue: its polls stay minIntervalMs apart (a round trip more when its slot comes back)")
  void roomAtMinIntervalGoesFirst() {
    // 10 polls/s for room 1 and 30 for the 30 others, asked of a budget of 20.
    PollScheduler scheduler = new PollScheduler(settings("adaptive", 20, 3000, 100, 60_000), new SplittableRandom(1),
        busiestAtMinInterval());
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    driver.latencyMs = 3;
    driver.roundTripPaid = true;
    for (long room = 1; room <= 31; room++) {
      scheduler.addRoom(room, T0);
    }
    driver.runUntil(T0 + 30_000, (room, at) -> Answer.ok(EMPTY));
    List<Long> times = driver.pollTimes(1).stream().filter(t -> t >= T0 + 5_000).toList();
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < times.size(); i++) {
      gaps.add(times.get(i) - times.get(i - 1));
    }
    // By ratio alone, as before, every room was stretched alike: room 1 every 200 ms.
    assertThat(gaps).as("room 1's gaps after the first 5 s").hasSizeGreaterThan(240)
        .allMatch(gap -> gap >= 100 && gap <= 100 + driver.latencyMs);
    assertThat(SchedulerDriver.maxInAnySecond(driver.requests)).isLessThanOrEqualTo(20);
    assertThat(driver.polls.stream().filter(p -> p.roomId() != 1 && p.atMs() >= T0 + 5_000).count())
        .as("the rooms behind it share what is left: about 10 polls/s over 25 s").isGreaterThan(240);
    for (long room = 2; room <= 31; room++) {
      assertThat(driver.pollTimes(room).stream().filter(t -> t >= T0 + 5_000).count()).as("room " + room)
          .isGreaterThanOrEqualTo(7);
    }
  }

  @Test
  @DisplayName("An unknown poll.strategy is refused with a message naming the key")
  void unknownStrategy() {
    assertThatThrownBy(() -> scheduler(settings("greedy", 5, 3000, 1000, 60_000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("poll.strategy");
  }

  @Test
  @DisplayName("A watched room is polled every 2/3 of watchedMaxDelayMs out of the unwatched rooms' share; unwatched again, it slows down")
  void watchedRoomsPolledWithinTheirDelay() {
    SchedulerSettings base = settings("adaptive", 20, 3000, 100, 60_000);
    SchedulerSettings settings = new SchedulerSettings(base.strategy(), base.requestsPerSecond(), base.intervalMs(),
        base.minIntervalMs(), base.maxIntervalMs(), base.backoffInitialMs(), base.backoffMaxMs(), 3000);
    PollScheduler scheduler = scheduler(settings);
    for (long room = 1; room <= 1000; room++) {
      scheduler.addRoom(room, T0);
    }
    SchedulerDriver driver = new SchedulerDriver(scheduler);
    SchedulerDriver.SteadyRoom busy = new SchedulerDriver.SteadyRoom(5);
    // 1,000 quiet rooms and one busy one at 20 requests/s: each quiet room is read about every 50 s.
    driver.runUntil(T0 + 60_000, (room, at) -> Answer.ok(room == 1 ? busy.poll(at) : EMPTY));
    List<Long> watchedRooms = List.of(500L, 700L, 900L);
    watchedRooms.forEach(room -> scheduler.setWatched(room, true, driver.now));
    long watchFrom = driver.now;
    driver.runUntil(T0 + 180_000, (room, at) -> Answer.ok(room == 1 ? busy.poll(at) : EMPTY));
    long watchedInterval = PollScheduler.watchedIntervalMs(settings);
    assertThat(watchedInterval).isEqualTo(2000);
    for (long room : watchedRooms) {
      List<Long> times = driver.pollTimes(room).stream().filter(t -> t >= watchFrom).toList();
      assertThat(times.get(0) - watchFrom).as("room %d polled soon after it is watched", room)
          .isLessThanOrEqualTo(watchedInterval + 100);
      for (int i = 1; i < times.size(); i++) {
        // One token's wait (50 ms at 20/s) at most beyond the interval.
        assertThat(times.get(i) - times.get(i - 1)).as("room %d, gap %d", room, i)
            .isLessThanOrEqualTo(watchedInterval + 60);
      }
    }
    assertThat(driver.pollTimes(1).stream().filter(t -> t >= watchFrom).count())
        .as("the busy room keeps its pace, about one poll a second").isGreaterThan(100);
    assertThat(SchedulerDriver.maxInAnySecond(driver.requests)).isLessThanOrEqualTo(20);

    watchedRooms.forEach(room -> scheduler.setWatched(room, false, driver.now));
    long unwatchFrom = driver.now;
    driver.runUntil(T0 + 240_000, (room, at) -> Answer.ok(room == 1 ? busy.poll(at) : EMPTY));
    for (long room : watchedRooms) {
      assertThat(driver.pollTimes(room).stream().filter(t -> t > unwatchFrom + 100).count())
          .as("room %d back to the quiet rooms' pace", room).isLessThanOrEqualTo(3);
    }
  }
}
