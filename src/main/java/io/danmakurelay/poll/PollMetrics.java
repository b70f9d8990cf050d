package io.danmakurelay.poll;

import io.danmakurelay.upstream.PollOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The poll loop's meters (SPEC §6): requests by outcome, round trip, duplicates, gaps, rooms by state, the
 * risk-control gauge and, only with {@code metrics.perRoom}, per-room series.
 */
final class PollMetrics {

  private final MeterRegistry registry;
  private final boolean perRoom;
  private final Map<PollOutcome, Counter> polls = new EnumMap<>(PollOutcome.class);
  private final Timer pollDuration;
  private final Counter duplicates;
  private final Counter gaps;
  private final Map<RoomState, AtomicLong> roomsByState = new EnumMap<>(RoomState.class);
  /** Messages committed per room, updated from the sink's thread. */
  private final Map<Long, AtomicLong> committed = new ConcurrentHashMap<>();
  /** The rate of those messages per room, for rooms the schedule does not estimate. */
  private final Map<Long, PublishedRate> publishedRates = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  PollMetrics(MeterRegistry registry, boolean perRoom, UpstreamGate gate, LongSupplier clock) {
    this.registry = registry;
    this.perRoom = perRoom;
    this.clock = clock;
    for (PollOutcome outcome : PollOutcome.values()) {
      polls.put(outcome, Counter.builder("danmaku.polls").tag("outcome", outcome.label())
          .description("Upstream polls by outcome").register(registry));
    }
    pollDuration = Timer.builder("danmaku.poll.duration").description("Upstream poll round trip")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
    duplicates = Counter.builder("danmaku.duplicates.dropped")
        .description("Items of poll answers already seen in an earlier answer").register(registry);
    gaps = Counter.builder("danmaku.gaps")
        .description("Full windows that shared nothing with the previous poll: messages were probably lost")
        .register(registry);
    for (RoomState state : RoomState.values()) {
      AtomicLong value = new AtomicLong();
      roomsByState.put(state, value);
      Gauge.builder("danmaku.rooms", value, AtomicLong::get).tag("state", state.label())
          .description("Followed rooms by state").register(registry);
    }
    Gauge.builder("danmaku.risk.control.active", gate, g -> g.riskControlUntilMs(clock.getAsLong()) > 0 ? 1 : 0)
        .description("1 while every room waits because the upstream signalled risk control").register(registry);
  }

  void request(PollOutcome outcome) {
    polls.get(outcome).increment();
  }

  void roundTrip(long nanos) {
    pollDuration.record(nanos, TimeUnit.NANOSECONDS);
  }

  void duplicates(int count) {
    duplicates.increment(count);
  }

  void gap() {
    gaps.increment();
  }

  void roomsByState(Map<RoomState, Long> counts) {
    for (RoomState state : RoomState.values()) {
      roomsByState.get(state).set(counts.getOrDefault(state, 0L));
    }
  }

  void committed(long roomId, int messages) {
    committed.computeIfAbsent(roomId, id -> new AtomicLong()).addAndGet(messages);
    publishedRates.computeIfAbsent(roomId, id -> new PublishedRate()).add(messages, clock.getAsLong());
  }

  /** Messages per second the room published lately (either source); 0 when it published none. */
  double publishedPerSecond(long roomId) {
    PublishedRate rate = publishedRates.get(roomId);
    return rate == null ? 0 : rate.perSecond(clock.getAsLong());
  }

  long committed(long roomId) {
    AtomicLong count = committed.get(roomId);
    return count == null ? 0 : count.get();
  }

  /**
   * Only with {@code metrics.perRoom}: a {@code room} label takes one value per followed room, which a
   * Prometheus with thousands of rooms would pay for in series.
   */
  void registerRoom(RoomRegistry.Room room) {
    if (!perRoom) {
      return;
    }
    Tags tags = Tags.of("room", Long.toString(room.realId));
    AtomicLong published = committed.computeIfAbsent(room.realId, id -> new AtomicLong());
    room.meters.add(FunctionCounter.builder("danmaku.room.messages.published", published, AtomicLong::get)
        .tags(tags).description("Danmaku of one room committed to Kafka").register(registry));
    room.meters.add(FunctionCounter.builder("danmaku.room.gaps", room.gaps, AtomicLong::get)
        .tags(tags).description("Gaps seen in one room").register(registry));
    AtomicLong intervalMs = new AtomicLong();
    room.intervalMs = intervalMs;
    room.meters.add(Gauge.builder("danmaku.room.poll.interval.seconds", intervalMs, v -> v.get() / 1000.0)
        .tags(tags).description("One room's current poll interval").register(registry));
  }

  void removeRoom(RoomRegistry.Room room) {
    room.meters.forEach(registry::remove);
    room.meters.clear();
    room.intervalMs = null;
  }
}
