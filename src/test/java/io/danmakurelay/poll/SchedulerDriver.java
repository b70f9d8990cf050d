package io.danmakurelay.poll;

import io.danmakurelay.upstream.FailureKind;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * Test helper: drives a {@link PollScheduler} in virtual time the way PollerVerticle does, answering each
 * poll after a latency with what a pluggable upstream says, and records every request it let through.
 */
final class SchedulerDriver {

  static final long T0 = 1_764_000_000_000L;

  /** What the upstream answers to a poll of a room at an instant: an observation or a failure. */
  interface Upstream {
    Answer answer(long roomId, long atMs);
  }

  record Answer(PollObservation observation, FailureKind failure) {
    static Answer ok(PollObservation observation) {
      return new Answer(observation, null);
    }

    static Answer fail(FailureKind kind) {
      return new Answer(null, kind);
    }
  }

  record Poll(long atMs, long roomId) {}

  final PollScheduler scheduler;
  final List<Poll> polls = new ArrayList<>();
  /** Every granted request, polls and tryAcquire lookups alike. */
  final List<Long> requests = new ArrayList<>();
  final TreeSet<Long> acquireAttempts = new TreeSet<>();
  long latencyMs = 50;
  /** When set, a poll's exchange ends when its answer arrives (the budget pays the round trip), not at once. */
  boolean roundTripPaid;
  long now = T0;

  SchedulerDriver(PollScheduler scheduler) {
    this.scheduler = scheduler;
  }

  void runUntil(long endMs, Upstream upstream) {
    PriorityQueue<long[]> answers = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    while (now <= endMs) {
      Decision decision = scheduler.next(now);
      long wake = Long.MAX_VALUE;
      if (decision instanceof Decision.PollNow poll) {
        polls.add(new Poll(now, poll.roomId()));
        // By default the budget sees a zero round trip here: these tests are about the schedule; what a round trip
        // costs the budget (InFlightWindow) is tested on its own, in CaptureSimulation, and with roundTripPaid.
        if (!roundTripPaid) {
          scheduler.onExchangeEnded(now);
        }
        requests.add(now);
        answers.add(new long[] {now + latencyMs, poll.roomId()});
        continue;
      }
      if (decision instanceof Decision.WaitUntil wait) {
        if (wait.atMs() <= now) {
          throw new AssertionError("WaitUntil(" + wait.atMs() + ") is not after now " + now);
        }
        wake = wait.atMs();
      }
      long nextAnswer = answers.isEmpty() ? Long.MAX_VALUE : answers.peek()[0];
      Long nextAttempt = acquireAttempts.ceiling(now + 1);
      now = Math.min(Math.min(wake, nextAnswer), nextAttempt == null ? Long.MAX_VALUE : nextAttempt);
      if (now == Long.MAX_VALUE) {
        return;
      }
      if (acquireAttempts.contains(now) && scheduler.tryAcquire(now)) {
        requests.add(now);
        scheduler.onExchangeEnded(now);
      }
      while (!answers.isEmpty() && answers.peek()[0] == now) {
        long roomId = answers.poll()[1];
        if (roundTripPaid) {
          scheduler.onExchangeEnded(now);
        }
        Answer answer = upstream.answer(roomId, now);
        if (answer.failure() == null) {
          scheduler.onSuccess(roomId, now, answer.observation());
        } else {
          scheduler.onFailure(roomId, now, answer.failure());
        }
      }
    }
  }

  List<Long> pollTimes(long roomId) {
    return polls.stream().filter(p -> p.roomId() == roomId).map(Poll::atMs).toList();
  }

  /** The most requests granted in any half-open window [t, t + 1000 ms). */
  static int maxInAnySecond(List<Long> times) {
    List<Long> sorted = new ArrayList<>(times);
    sorted.sort(null);
    int best = 0;
    int start = 0;
    for (int end = 0; end < sorted.size(); end++) {
      while (sorted.get(end) - sorted.get(start) >= 1000) {
        start++;
      }
      best = Math.max(best, end - start + 1);
    }
    return best;
  }

  /** A room receiving messages evenly at a fixed rate, answering its last 10 with one-second timestamps. */
  static final class SteadyRoom {
    double ratePerSecond;
    double since = T0;
    double carried;
    long total;
    long totalAtLastPoll;
    boolean polledBefore;
    final double[] last = new double[10];
    double lastArrivalAt = T0;

    SteadyRoom(double ratePerSecond) {
      this.ratePerSecond = ratePerSecond;
    }

    /** Changes the rate from {@code atMs} on (call it in time order, before polls after atMs). */
    void setRate(double ratePerSecond, long atMs) {
      advanceTo(atMs);
      this.ratePerSecond = ratePerSecond;
    }

    void advanceTo(double t) {
      if (t <= since) {
        return;
      }
      double due = carried + ratePerSecond * (t - since) / 1000.0;
      long whole = (long) Math.floor(due);
      for (long i = 1; i <= whole; i++) {
        double at = since + (i - carried) * 1000.0 / ratePerSecond;
        last[(int) (total % 10)] = at;
        total++;
      }
      carried = due - whole;
      since = t;
    }

    PollObservation poll(long atMs) {
      advanceTo(atMs);
      long arrived = total - totalAtLastPoll;
      int window = (int) Math.min(total, 10);
      int fresh = polledBefore ? (int) Math.min(arrived, 10) : window;
      boolean gap = polledBefore && arrived >= 10;
      long oldest = window == 0 ? 0 : second(last[(int) ((total - window) % 10)]);
      long newest = window == 0 ? 0 : second(last[(int) ((total - 1) % 10)]);
      totalAtLastPoll = total;
      polledBefore = true;
      return new PollObservation(fresh, window, gap, oldest, newest);
    }

    private static long second(double atMs) {
      return (long) Math.floor(atMs / 1000.0) * 1000;
    }
  }
}
