package io.danmakurelay.dedupe;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.PollResult;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

@DisplayName("One room's stream from push and gethistory together")
class CrossSourceDedupeTest {

  static Danmaku message(int n, DanmakuList list) {
    return Items.item(list, n, 1000 + n % 7, "t" + (n % 5), Items.BASE_SECOND + n / 3, "r", String.format("%032x", n));
  }

  static PollResult.Success window(List<Danmaku> log) {
    List<Danmaku> room = new ArrayList<>();
    List<Danmaku> admin = new ArrayList<>();
    for (int i = log.size() - 1; i >= 0 && (room.size() < 10 || admin.size() < 10); i--) {
      Danmaku d = log.get(i);
      List<Danmaku> target = d.list() == DanmakuList.ADMIN ? admin : room;
      if (target.size() < 10) {
        target.add(0, d);
      }
    }
    return new PollResult.Success(room, admin);
  }

  @Test
  @DisplayName("A message pushed and then seen in a gethistory window is published once, by push")
  void pushThenPoll() {
    RoomDeduper d = new RoomDeduper(1);
    Danmaku m = message(1, DanmakuList.ROOM);
    assertThat(d.acceptPushed(m)).isPresent();
    DedupeResult polled = d.accept(new PollResult.Success(List.of(m), List.of()));
    assertThat(polled.fresh()).isEmpty();
    assertThat(polled.duplicates()).isEqualTo(1);
    assertThat(d.acceptPushed(m)).isEmpty();
  }

  @Test
  @DisplayName("A message polled first is not published again when push delivers it late")
  void pollThenPush() {
    RoomDeduper d = new RoomDeduper(1);
    Danmaku m = message(1, DanmakuList.ROOM);
    assertThat(d.accept(new PollResult.Success(List.of(m), List.of())).fresh()).hasSize(1);
    assertThat(d.acceptPushed(m)).isEmpty();
  }

  @Test
  @DisplayName("A full backfill window overlapping what push published is no gap; one sharing nothing is")
  void gapsAcrossSources() {
    RoomDeduper d = new RoomDeduper(1);
    List<Danmaku> log = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      log.add(message(i, DanmakuList.ROOM));
    }
    d.accept(window(log));
    for (int i = 10; i < 30; i++) {
      log.add(message(i, DanmakuList.ROOM));
      d.acceptPushed(log.get(i));
    }
    log.add(message(30, DanmakuList.ROOM));
    DedupeResult backfill = d.accept(window(log));
    assertThat(backfill.fresh()).extracting(FreshMessage::id).containsExactly(String.format("%032x", 30));
    assertThat(backfill.gap()).isFalse();
    for (int i = 31; i < 60; i++) {
      log.add(message(i, DanmakuList.ROOM));
    }
    assertThat(d.accept(window(log)).gap()).isTrue();
  }

  @Test
  @DisplayName("The published ids are bounded and go into the snapshot; version-1 snapshots still restore")
  void snapshot() {
    RoomDeduper d = new RoomDeduper(5);
    for (int i = 0; i < 2_000; i++) {
      d.acceptPushed(message(i, i % 10 == 0 ? DanmakuList.ADMIN : DanmakuList.ROOM));
    }
    assertThat(d.publishedIds()).isEqualTo(2 * PublishedIds.CAPACITY);
    JsonObject snap = new JsonObject(d.snapshot().encode());
    assertThat(snap.getInteger("version")).isEqualTo(2);
    RoomDeduper restored = RoomDeduper.restore(5, snap);
    assertThat(restored.acceptPushed(message(1999, DanmakuList.ROOM))).isEmpty();
    assertThat(restored.acceptPushed(message(1990, DanmakuList.ADMIN))).isEmpty();

    RoomDeduper old = new RoomDeduper(5);
    List<Danmaku> log = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      log.add(message(i, DanmakuList.ROOM));
    }
    old.accept(window(log));
    JsonObject v1 = old.snapshot();
    v1.put("version", 1).remove("ids");
    RoomDeduper fromV1 = RoomDeduper.restore(5, v1);
    assertThat(fromV1.acceptPushed(message(9, DanmakuList.ROOM))).isEmpty();
    assertThat(fromV1.accept(window(log)).fresh()).isEmpty();
    assertThat(fromV1.acceptPushed(message(10, DanmakuList.ROOM))).isPresent();
  }

  /**
   * A room's log grows; push is up or down (reconnect holes); on every (re)connect and at random times a
   * gethistory window is read; push may deliver a few messages late (after a poll saw them; what is still
   * in flight when the connection drops is lost); state goes through
   * a snapshot at random. Every message pushed or shown in a window is published exactly once, and only those.
   */
  @RepeatedTest(50)
  @DisplayName("Random interleavings of push, reconnect holes and gethistory windows publish each message once")
  void randomInterleavings(RepetitionInfo info) {
    Random rng = new Random(info.getCurrentRepetition() * 7919L);
    RoomDeduper d = new RoomDeduper(9);
    List<Danmaku> log = new ArrayList<>();
    List<String> published = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<Danmaku> late = new ArrayList<>();
    boolean connected = true;
    int next = 0;
    for (int step = 0; step < 400; step++) {
      int action = rng.nextInt(100);
      if (action < 55) {
        int burst = 1 + rng.nextInt(rng.nextInt(10) < 8 ? 3 : 25);
        for (int i = 0; i < burst; i++) {
          Danmaku m = message(next++, rng.nextInt(10) == 0 ? DanmakuList.ADMIN : DanmakuList.ROOM);
          log.add(m);
          if (connected) {
            if (rng.nextInt(8) == 0) {
              late.add(m);
            } else {
              seen.add(m.idStr());
              d.acceptPushed(m).ifPresent(f -> published.add(f.id()));
            }
          }
        }
      } else if ((action < 65 || late.size() > 8) && !late.isEmpty()) {
        for (Danmaku m : late) {
          seen.add(m.idStr());
          d.acceptPushed(m).ifPresent(f -> published.add(f.id()));
        }
        late.clear();
      } else if (action < 75) {
        connected = !connected;
        if (!connected) {
          late.clear();
        }
        if (connected) {
          poll(d, log, seen, published);
        }
      } else if (action < 90) {
        poll(d, log, seen, published);
      } else {
        d = RoomDeduper.restore(9, new JsonObject(d.snapshot().encode()));
      }
    }
    assertThat(published).doesNotHaveDuplicates();
    assertThat(new LinkedHashSet<>(published)).isEqualTo(orderedLike(log, seen));
  }

  private static void poll(RoomDeduper d, List<Danmaku> log, Set<String> seen, List<String> published) {
    PollResult.Success w = window(log);
    w.room().forEach(m -> seen.add(m.idStr()));
    w.admin().forEach(m -> seen.add(m.idStr()));
    d.accept(w).fresh().forEach(f -> published.add(f.id()));
  }

  private static Set<String> orderedLike(List<Danmaku> log, Set<String> seen) {
    Set<String> out = new HashSet<>();
    for (Danmaku m : log) {
      if (seen.contains(m.idStr())) {
        out.add(m.idStr());
      }
    }
    return out;
  }
}
