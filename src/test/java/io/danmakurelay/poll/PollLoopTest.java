package io.danmakurelay.poll;

import io.danmakurelay.pipeline.BackoffPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SideRecord;
import io.danmakurelay.pipeline.StateKeys;
import io.danmakurelay.testsupport.RecordingSink;
import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.FailureKind;
import io.danmakurelay.upstream.PollOutcome;
import io.danmakurelay.upstream.PollResult;
import io.danmakurelay.upstream.RoomInitResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The poll loop itself, in virtual time: a fake upstream, a recording sink, the real scheduler and deduper. */
class PollLoopTest {

  private static final long START = 1_764_000_000_000L;
  private static final long LATENCY_MS = 40;

  /** A fake upstream: rooms with growing message lists, answering the last 10 after a latency. */
  final class FakeUpstream implements PollLoop.Requests {
    final Map<Long, Long> shortToReal = new HashMap<>();
    final Map<Long, List<Danmaku>> messages = new HashMap<>();
    final Map<Long, ArrayDeque<PollResult.Failure>> failures = new HashMap<>();
    final List<Long> requestTimes = new ArrayList<>();
    final List<Long> polled = new ArrayList<>();
    final List<Long> resolved = new ArrayList<>();
    RoomInitResult.Failed roomInitFailure;

    void room(long real, long shortId) {
      messages.put(real, new ArrayList<>());
      if (shortId > 0) {
        shortToReal.put(shortId, real);
      }
    }

    void say(long room, int count) {
      List<Danmaku> list = messages.get(room);
      for (int i = 0; i < count; i++) {
        int n = list.size();
        list.add(new Danmaku(DanmakuList.ROOM, "m" + n, 7, "nick", "2026-11-29 12:00:00", START + n * 1000L,
            room + "-" + n, "r" + n, null, new JsonObject().put("text", "m" + n)));
      }
    }

    @Override
    public void poll(long realRoomId, Consumer<PollResult> done) {
      requestTimes.add(time.now());
      polled.add(realRoomId);
      time.after(LATENCY_MS, () -> {
        ArrayDeque<PollResult.Failure> queued = failures.get(realRoomId);
        if (queued != null && !queued.isEmpty()) {
          done.accept(queued.poll());
          return;
        }
        List<Danmaku> all = messages.get(realRoomId);
        List<Danmaku> window = all == null ? List.of() : List.copyOf(all.subList(Math.max(0, all.size() - 10), all.size()));
        done.accept(new PollResult.Success(window, List.of()));
      });
    }

    @Override
    public void roomInit(long requestedId, Consumer<RoomInitResult> done) {
      requestTimes.add(time.now());
      resolved.add(requestedId);
      time.after(LATENCY_MS, () -> {
        if (roomInitFailure != null) {
          done.accept(roomInitFailure);
        } else if (messages.containsKey(requestedId)) {
          done.accept(new RoomInitResult.Resolved(requestedId, 0, 1));
        } else if (shortToReal.containsKey(requestedId)) {
          done.accept(new RoomInitResult.Resolved(shortToReal.get(requestedId), requestedId, 1));
        } else {
          done.accept(new RoomInitResult.NotFound("room not found (60004)"));
        }
      });
    }
  }

  final VirtualTime time = new VirtualTime(START);
  final RecordingSink sink = new RecordingSink();
  final Pipeline pipeline = new Pipeline(sink);
  final FakeUpstream upstream = new FakeUpstream();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  PollLoop loop(double budget, long intervalMs) {
    SchedulerSettings settings = new SchedulerSettings("fixed", budget, intervalMs, 100, 60_000, 1000, 10_000);
    UpstreamGate gate = new UpstreamGate(budget, 1000, 10_000);
    PollScheduler scheduler = new PollScheduler(settings, new SplittableRandom(3), PollScheduler.strategyFor(settings),
        gate);
    return new PollLoop("gethistory", 16, scheduler, pipeline, upstream, time, time::now,
        new PollMetrics(registry, false, gate, time::now), new BackoffPolicy(1000, 10_000), new SplittableRandom(5));
  }

  static int maxInAnySecond(List<Long> times) {
    int max = 0;
    for (int i = 0, j = 0; i < times.size(); i++) {
      while (times.get(i) - times.get(j) >= 1000) {
        j++;
      }
      max = Math.max(max, i - j + 1);
    }
    return max;
  }

  @Test
  @DisplayName("rooms are resolved, then polled within the budget; every message is published once, numbered 1, 2, 3... per room, with the state that carries the seq")
  void pollsWithinBudgetAndNumbersMessages() {
    upstream.room(1001, 0);
    upstream.room(1002, 2);
    PollLoop loop = loop(10, 200);
    loop.follow(1001, null);
    loop.follow(2, null);
    for (int second = 0; second < 20; second++) {
      upstream.say(1001, 3);
      upstream.say(1002, 1);
      time.runUntil(time.now() + 1000);
    }
    time.runUntil(time.now() + 2000);

    assertThat(upstream.resolved).containsExactly(1001L, 2L);
    assertThat(maxInAnySecond(upstream.requestTimes)).isLessThanOrEqualTo(10);
    List<JsonObject> room1 = sink.messages(1001);
    assertThat(room1).extracting(v -> v.getString("text"))
        .containsExactlyElementsOf(upstream.messages.get(1001L).stream().map(Danmaku::text).toList());
    assertThat(room1).extracting(v -> v.getLong("seq")).containsExactlyElementsOf(
        java.util.stream.LongStream.rangeClosed(1, room1.size()).boxed().toList());
    assertThat(sink.messages(1002)).hasSize(20);
    SequencedBatch last = sink.batches().stream().filter(b -> b.stream() != null && b.stream().id() == 1001).reduce((a, b) -> b)
        .orElseThrow();
    assertThat(last.state().getLong("seq")).isEqualTo(60);
    assertThat(sink.side(StateKeys.RESOLVED_ROOM)).extracting(SideRecord::key)
        .containsExactlyInAnyOrder("resolved/1001", "resolved/2");
    assertThat(registry.get("danmaku.polls").tag("outcome", "ok").counter().count()).isPositive();
  }

  @Test
  @DisplayName("a room whose id an earlier run resolved is polled at once, without room_init; refused as invalid, it is resolved again")
  void resolvedIdsFromStateSkipRoomInit() {
    upstream.room(1001, 0);
    upstream.say(1001, 5);
    PollLoop loop = loop(10, 200);
    loop.follow(1001, new JsonObject().put("room_id", 1001).put("short_id", 0));
    time.runUntil(time.now() + 300);
    assertThat(upstream.resolved).isEmpty();
    assertThat(sink.messages(1001)).hasSize(5);

    upstream.failures.computeIfAbsent(1001L, k -> new ArrayDeque<>())
        .add(new PollResult.Failure(PollOutcome.API_ERROR, FailureKind.INVALID_ROOM, "HistoryReq.Roomid"));
    time.runUntil(time.now() + 1000);
    assertThat(upstream.resolved).containsExactly(1001L);
    upstream.say(1001, 2);
    time.runUntil(time.now() + 1000);
    assertThat(sink.messages(1001)).hasSize(7);
    assertThat(loop.entry(loop.find(1001)).getString("state")).isEqualTo("polling");
  }

  @Test
  @DisplayName("cluster mode: only the rooms of adopted partitions are polled, each from its restored dedupe state; "
      + "a released room is not polled again and its answer in flight is dropped")
  void clusterOwnership() {
    upstream.room(1000, 0);
    upstream.room(1001, 0);
    upstream.say(1000, 4);
    upstream.say(1001, 4);
    PollLoop loop = loop(10, 200);
    loop.clusterMode(id -> (int) (id % 2));
    loop.follow(1000, null);
    loop.follow(1001, null);
    time.runUntil(time.now() + 2000);
    assertThat(upstream.resolved).as("every relay resolves every room").containsExactlyInAnyOrder(1000L, 1001L);
    assertThat(upstream.polled).as("nothing owned yet").isEmpty();
    assertThat(loop.resolvedRealIds()).isEmpty();

    // Partition 0 arrives with room 1000's state as its last owner committed it: the first two messages published.
    io.danmakurelay.dedupe.RoomDeduper seen = new io.danmakurelay.dedupe.RoomDeduper(1000);
    seen.accept(new PollResult.Success(upstream.messages.get(1000L).subList(0, 2), List.of()));
    loop.adopt(java.util.Set.of(0), Map.of(1000L, seen.snapshot()));
    time.runUntil(time.now() + 1000);
    assertThat(upstream.polled).containsOnly(1000L);
    assertThat(sink.messages(1000)).extracting(v -> v.getString("text")).containsExactly("m2", "m3");
    assertThat(sink.messages(1001)).isEmpty();
    assertThat(loop.resolvedRealIds()).containsExactly(1000L);

    // Released while a poll is in flight: its answer is dropped, and the room is not polled again.
    int sent = upstream.polled.size();
    while (upstream.polled.size() == sent) {
      time.runUntil(time.now() + 1);
    }
    upstream.say(1000, 3); // the poll just sent answers with these
    loop.release(java.util.Set.of(0));
    int polls = upstream.polled.size();
    time.runUntil(time.now() + 2000);
    assertThat(sink.messages(1000)).extracting(v -> v.getString("text")).as("the answer in flight was dropped")
        .containsExactly("m2", "m3");
    assertThat(upstream.polled).as("not polled after its release").hasSize(polls);
    assertThat(loop.owns(1000)).isFalse();
    assertThat(loop.resolvedRealIds()).isEmpty();
  }

  @Test
  @DisplayName("a room that room_init does not know is invalid and never polled")
  void unknownRoomIsInvalid() {
    PollLoop loop = loop(10, 200);
    loop.follow(4242, null);
    time.runUntil(time.now() + 2000);
    assertThat(upstream.polled).isEmpty();
    assertThat(loop.entry(loop.find(4242)).getString("state")).isEqualTo("invalid");
    assertThat(loop.status().getInteger("invalid")).isEqualTo(1);
  }

  @Test
  @DisplayName("while the sink's buffer is full no room is polled; when it has room again polling resumes")
  void bufferFullPausesPolling() {
    upstream.room(1001, 0);
    PollLoop loop = loop(10, 200);
    loop.follow(1001, null);
    time.runUntil(time.now() + 1000);
    sink.full = true;
    int before = upstream.polled.size();
    time.runUntil(time.now() + 3000);
    assertThat(upstream.polled).hasSize(before);
    assertThat(loop.status().getBoolean("buffer_full")).isTrue();
    sink.full = false;
    time.runUntil(time.now() + 1000);
    assertThat(upstream.polled.size()).isGreaterThan(before);
  }

  @Test
  @DisplayName("a room push covers shows the rate of what was published in /api/rooms, not 0")
  void coveredRoomShowsPublishedRate() {
    upstream.room(1001, 0);
    PollLoop loop = loop(10, 200);
    loop.follow(1001, null);
    time.runUntil(time.now() + 1000);
    loop.setCovered(1001, true);
    assertThat(loop.entry(loop.find(1001)).getDouble("rate_per_second")).isZero();
    int committed = sink.batches().size();
    // 5 messages a second for 40 s, each second's published by one (backfill) poll and committed.
    for (int second = 0; second < 40; second++) {
      upstream.say(1001, 5);
      loop.requestPoll(1001);
      time.runUntil(time.now() + 1000);
      for (; committed < sink.batches().size(); committed++) {
        loop.onCommitted(sink.batches().get(committed));
      }
    }
    assertThat(sink.messages(1001)).hasSize(200);
    assertThat(loop.entry(loop.find(1001)).getDouble("rate_per_second")).isBetween(4.0, 6.0);
  }

  @Test
  @DisplayName("a room covered by another source is polled only when asked (once per ask), and on schedule again once uncovered")
  void coveredRoomsPolledOnlyWhenAsked() {
    upstream.room(1001, 0);
    upstream.room(1002, 0);
    PollLoop loop = loop(10, 200);
    loop.follow(1001, null);
    loop.follow(1002, null);
    time.runUntil(time.now() + 1000);
    loop.setCovered(1001, true);
    time.runUntil(time.now() + 500);
    int covered = count(upstream.polled, 1001);
    time.runUntil(time.now() + 3000);
    assertThat(count(upstream.polled, 1001)).isEqualTo(covered);
    assertThat(count(upstream.polled, 1002)).isGreaterThan(10);

    upstream.say(1001, 4);
    loop.requestPoll(1001);
    loop.requestPoll(1001);
    time.runUntil(time.now() + 1000);
    assertThat(count(upstream.polled, 1001)).isEqualTo(covered + 1);
    assertThat(sink.messages(1001)).hasSize(4);

    loop.setCovered(1001, false);
    time.runUntil(time.now() + 2000);
    assertThat(count(upstream.polled, 1001)).isGreaterThan(covered + 3);
  }

  @Test
  @DisplayName("risk control met by room_init pauses every request, then resolving resumes")
  void riskControlDuringResolution() {
    upstream.room(1001, 0);
    upstream.roomInitFailure = new RoomInitResult.Failed(PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL, "412");
    PollLoop loop = loop(10, 200);
    loop.follow(1001, null);
    time.runUntil(time.now() + 200);
    assertThat(loop.status().getValue("risk_control_until")).isNotNull();
    int requestsDuringBan = upstream.requestTimes.size();
    upstream.roomInitFailure = null;
    time.runUntil(time.now() + 4000);
    assertThat(upstream.requestTimes).hasSize(requestsDuringBan);
    time.runUntil(time.now() + 30_000);
    assertThat(upstream.polled).contains(1001L);
  }

  private static int count(List<Long> list, long value) {
    return (int) list.stream().filter(v -> v == value).count();
  }

  @Test
  @DisplayName("a room watched before it is resolved is polled every 2 s once it is (fixed interval 10 s), and slows down when unwatched")
  void watchedRoomPolledFast() {
    upstream.room(1001, 0);
    upstream.room(1002, 2);
    PollLoop loop = loop(10, 10_000);
    loop.setWatched(1002, true);
    loop.follow(1001, null);
    loop.follow(2, null);
    time.runUntil(time.now() + 21_000);
    assertThat(upstream.polled.stream().filter(r -> r == 1002).count()).as("watched: every 2 s").isBetween(10L, 12L);
    assertThat(upstream.polled.stream().filter(r -> r == 1001).count()).as("unwatched: every 10 s").isBetween(2L, 3L);
    assertThat(loop.entry(loop.find(2)).getBoolean("watched")).as("/api/rooms of the watched room").isTrue();
    assertThat(loop.entry(loop.find(1001)).getBoolean("watched")).as("/api/rooms of an unwatched room").isFalse();
    loop.setWatched(1002, false);
    assertThat(loop.entry(loop.find(2)).getBoolean("watched")).as("/api/rooms once unwatched").isFalse();
    int before = upstream.polled.size();
    time.runUntil(time.now() + 20_000);
    assertThat(upstream.polled.subList(before, upstream.polled.size()).stream().filter(r -> r == 1002).count())
        .as("unwatched again: every 10 s").isBetween(1L, 3L);
  }
}
