package io.danmakurelay.dedupe;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.PollResult;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Polls a simulated upstream (random messages with identical repeats, random deletions, windows of the last
 * ten) at random moments and checks the deduper's output against the ground truth, message by message.
 */
class RoomDeduperPropertyTest {

  private static final long ROOM = 5_440L;
  private static final int POLLS = 3_000;

  /** One upstream log (one list): what was sent, what was deleted, what each window shows. */
  private static final class Upstream {
    private final DanmakuList list;
    private final boolean withIds;
    private final Random random;
    private final List<Danmaku> log = new ArrayList<>();
    private final Set<Long> deleted = new HashSet<>();
    private final Map<String, Integer> fingerprintCounts = new HashMap<>();
    private long second = Items.BASE_SECOND;

    Upstream(DanmakuList list, boolean withIds, Random random) {
      this.list = list;
      this.withIds = withIds;
      this.random = random;
    }

    void send() {
      if (random.nextInt(10) < 3) {
        second += random.nextInt(8) == 0 ? 1 + random.nextInt(30) : 1;
      }
      long serial = log.size();
      Danmaku message;
      Danmaku repeated = repeatCandidate();
      if (repeated != null) {
        message = Items.item(list, serial, repeated.uid(), repeated.text(), second, repeated.rnd(), id(serial));
      } else {
        long uid = 1 + random.nextInt(20);
        String text = switch (random.nextInt(4)) {
          case 0 -> "草" + serial;
          case 1 -> "<b>\"" + serial + "\"</b>\n🎉";
          default -> "m" + serial;
        };
        message = Items.item(list, serial, uid, text, second, Integer.toString(random.nextInt(1000)), id(serial));
      }
      log.add(message);
      fingerprintCounts.merge(key(message), 1, Integer::sum);
    }

    private String id(long serial) {
      return withIds ? list.wireName() + "-" + serial : null;
    }

    /** One viewer repeating one of the last few texts within the same second: identical items. */
    private Danmaku repeatCandidate() {
      if (log.isEmpty() || random.nextInt(100) >= 25) {
        return null;
      }
      Danmaku candidate = log.get(log.size() - 1 - random.nextInt(Math.min(3, log.size())));
      // Repeating a deleted message would make "deleted, then sent again" look like "nothing happened".
      return candidate.ts() / 1000 == second && (withIds || !deleted.contains(serial(candidate))) ? candidate : null;
    }

    /**
     * Deletes a random recent message. Without ids, only one whose fingerprint is unique: deleting one of
     * [x, x] while another x arrives leaves the window unchanged, which no deduper can see.
     */
    void deleteOne() {
      int from = Math.max(0, log.size() - 14);
      if (from >= log.size()) {
        return;
      }
      Danmaku victim = log.get(from + random.nextInt(log.size() - from));
      if (withIds || fingerprintCounts.get(key(victim)) == 1) {
        deleted.add(serial(victim));
      }
    }

    List<Danmaku> window() {
      List<Danmaku> window = new ArrayList<>();
      for (int i = log.size() - 1; i >= 0 && window.size() < ListDeduper.WINDOW; i--) {
        if (!deleted.contains(serial(log.get(i)))) {
          window.add(0, log.get(i));
        }
      }
      return window;
    }

    /**
     * True when a message older than the window has the fingerprint of one inside it. Then the window is
     * truly ambiguous ([.., x | x, x] after [.. | x, x]: did an x slide out and another arrive?) and no
     * deduper can know; the test polls at other moments only. With ids nothing is ambiguous.
     */
    boolean ambiguous() {
      List<Danmaku> window = window();
      if (withIds || window.isEmpty()) {
        return false;
      }
      Set<String> inside = new HashSet<>();
      window.forEach(d -> inside.add(key(d)));
      long oldest = serial(window.get(0));
      for (int i = (int) oldest - 1; i >= 0 && i >= oldest - 60; i--) {
        Danmaku before = log.get(i);
        if (!deleted.contains(serial(before)) && inside.contains(key(before))) {
          return true;
        }
      }
      return false;
    }

    private static String key(Danmaku d) {
      return d.uid() + "|" + d.text() + "|" + d.timeline() + "|" + d.rnd();
    }
  }

  /** What the deduper should publish for one list: every message seen in a window, unless it slid back. */
  private static final class Truth {
    private final Set<Long> seen = new HashSet<>();
    private long previousOldest = -1;
    private final List<Long> expected = new ArrayList<>();
    private long newestSeen = -1;
    boolean lostSinceLastPoll;

    /** Records a window, and whether messages were lost (pushed out unseen) before it. */
    void observe(List<Danmaku> window, Upstream upstream) {
      if (window.isEmpty()) {
        return;
      }
      long oldest = serial(window.get(0));
      lostSinceLastPoll = false;
      if (newestSeen >= 0) {
        for (long s = newestSeen + 1; s < oldest; s++) {
          if (!upstream.deleted.contains(s)) {
            lostSinceLastPoll = true;
          }
        }
      }
      for (Danmaku message : window) {
        long serial = serial(message);
        if (seen.add(serial) && (previousOldest < 0 || serial > previousOldest)) {
          expected.add(serial);
        }
        newestSeen = Math.max(newestSeen, serial);
      }
      previousOldest = oldest;
    }
  }

  /** Names the first difference: AssertJ would print thousands of serials. */
  private static void assertSameStream(String what, List<Long> published, List<Long> expected) {
    int common = Math.min(published.size(), expected.size());
    int first = 0;
    while (first < common && published.get(first).equals(expected.get(first))) {
      first++;
    }
    int from = Math.max(0, first - 3);
    assertThat(first)
        .as("%s: first difference at %d, published %s, expected %s", what, first,
            published.subList(from, Math.min(published.size(), first + 5)),
            expected.subList(from, Math.min(expected.size(), first + 5)))
        .isEqualTo(Math.max(published.size(), expected.size()));
  }

  private static long serial(Danmaku d) {
    return d.raw().getLong("serial");
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 5, 8, 13, 21, 34})
  @DisplayName("legacy: publishes exactly the messages seen in the windows, each once and in order, across restarts")
  void legacyMatchesGroundTruth(long seed) {
    matchesGroundTruth(seed, false);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {55, 89, 144})
  @DisplayName("modern: publishes exactly the messages seen in the windows, keyed on id_str, across restarts")
  void modernMatchesGroundTruth(long seed) {
    matchesGroundTruth(seed, true);
  }

  private void matchesGroundTruth(long seed, boolean withIds) {
    Random random = new Random(seed);
    Upstream room = new Upstream(DanmakuList.ROOM, withIds, random);
    Upstream admin = new Upstream(DanmakuList.ADMIN, withIds, random);
    Truth roomTruth = new Truth();
    Truth adminTruth = new Truth();
    RoomDeduper deduper = new RoomDeduper(ROOM);
    RoomDeduper neverRestarted = new RoomDeduper(ROOM);
    List<Long> publishedRoom = new ArrayList<>();
    List<Long> publishedAdmin = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    int gaps = 0;
    int lossesWithoutGap = 0;
    int polls = 0;

    while (polls < POLLS) {
      int arrivals = random.nextInt(20) == 0 ? 9 + random.nextInt(8) : random.nextInt(7);
      for (int i = 0; i < arrivals; i++) {
        room.send();
        if (random.nextInt(6) == 0) {
          admin.send();
        }
      }
      int deletions = random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0;
      for (int i = 0; i < deletions; i++) {
        room.deleteOne();
      }
      if (random.nextInt(30) == 0) {
        admin.deleteOne();
      }
      if (room.ambiguous() || admin.ambiguous()) {
        continue;
      }
      polls++;
      List<Danmaku> roomWindow = room.window();
      List<Danmaku> adminWindow = admin.window();
      roomTruth.observe(roomWindow, room);
      adminTruth.observe(adminWindow, admin);
      PollResult.Success answer = new PollResult.Success(roomWindow, adminWindow);

      DedupeResult result = deduper.accept(answer);
      DedupeResult steady = neverRestarted.accept(answer);

      assertThat(result).as("poll %d, restarts must not change anything", polls).isEqualTo(steady);
      for (FreshMessage fresh : result.fresh()) {
        assertThat(ids.add(fresh.id())).as("id %s published twice", fresh.id()).isTrue();
        (fresh.danmaku().list() == DanmakuList.ROOM ? publishedRoom : publishedAdmin).add(serial(fresh.danmaku()));
      }
      boolean lost = (roomTruth.lostSinceLastPoll && !roomWindow.isEmpty())
          || (adminTruth.lostSinceLastPoll && !adminWindow.isEmpty());
      if (result.gap()) {
        gaps++;
      } else if (lost) {
        lossesWithoutGap++;
      }
      if (random.nextInt(25) == 0) {
        deduper = RoomDeduper.restore(ROOM, new JsonObject(deduper.snapshot().encode()));
      }
    }

    assertSameStream("room list of seed " + seed, publishedRoom, roomTruth.expected);
    assertSameStream("admin list of seed " + seed, publishedAdmin, adminTruth.expected);
    assertThat(lossesWithoutGap).as("losses not reported as gaps").isZero();
    assertThat(gaps).as("the stream should exercise gaps").isPositive();
    assertThat(publishedRoom.size()).isGreaterThan(POLLS);
  }
}
