package io.danmakurelay.poll;

import java.util.PriorityQueue;

/**
 * A clock and one-shot timers in virtual time, for driving {@link PollLoop} without Vert.x: {@link #runUntil}
 * fires every timer due up to an instant, in order, moving the clock to each.
 */
final class VirtualTime implements PollLoop.Timers {

  private record Task(long atMs, long id, Runnable action) {}

  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>((a, b) -> a.atMs != b.atMs ? Long.compare(a.atMs, b.atMs) : Long.compare(a.id, b.id));
  private final java.util.Set<Long> cancelled = new java.util.HashSet<>();
  private long now;
  /** Each timer fires up to this many ms late (uniform, seeded), as a loaded machine's: 0 unless asked. */
  static final long TIMER_JITTER_MS = Long.getLong("capture.timerJitterMs", 0);
  private final java.util.SplittableRandom jitter = new java.util.SplittableRandom(7);
  private long nextId = 1;

  VirtualTime(long startMs) {
    this.now = startMs;
  }

  long now() {
    return now;
  }

  @Override
  public long setTimer(long delayMs, Runnable action) {
    long id = nextId++;
    long late = TIMER_JITTER_MS > 0 ? (long) (jitter.nextDouble() * (TIMER_JITTER_MS + 1)) : 0;
    tasks.add(new Task(now + Math.max(1, delayMs) + late, id, action));
    return id;
  }

  @Override
  public void cancelTimer(long id) {
    cancelled.add(id);
  }

  /** Runs {@code action} {@code delayMs} from now (0 allowed: later at this same instant). */
  void after(long delayMs, Runnable action) {
    tasks.add(new Task(now + Math.max(0, delayMs), nextId++, action));
  }

  void runUntil(long untilMs) {
    while (!tasks.isEmpty() && tasks.peek().atMs <= untilMs) {
      Task task = tasks.poll();
      if (cancelled.remove(task.id)) {
        continue;
      }
      now = Math.max(now, task.atMs);
      task.action.run();
    }
    now = Math.max(now, untilMs);
  }
}
