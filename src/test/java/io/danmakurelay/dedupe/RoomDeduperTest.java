package io.danmakurelay.dedupe;

import static io.danmakurelay.dedupe.Items.admin;
import static io.danmakurelay.dedupe.Items.answer;
import static io.danmakurelay.dedupe.Items.concat;
import static io.danmakurelay.dedupe.Items.modern;
import static io.danmakurelay.dedupe.Items.room;
import static io.danmakurelay.dedupe.Items.rooms;
import static io.danmakurelay.dedupe.Items.slice;
import static io.danmakurelay.dedupe.Items.ten;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.PollResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

// Edge cases of window alignment, one behaviour per test.
class RoomDeduperTest {

  private static final long ROOM = 21452505L;

  private final RoomDeduper deduper = new RoomDeduper(ROOM);

  private static List<String> texts(DedupeResult result) {
    return result.fresh().stream().map(fresh -> fresh.danmaku().text()).toList();
  }

  private List<String> poll(Danmaku... window) {
    return texts(deduper.accept(rooms(window)));
  }

  @Nested
  @DisplayName("with legacy items (no id_str)")
  class Legacy {

    @Test
    @DisplayName("the first poll of a room publishes the whole window, oldest first")
    void firstPoll() {
      DedupeResult result = deduper.accept(rooms(room("a"), room("b"), room("c")));

      assertThat(texts(result)).containsExactly("a", "b", "c");
      assertThat(result.duplicates()).isZero();
      assertThat(result.gap()).isFalse();
    }

    @Test
    @DisplayName("a window entirely the same as before publishes nothing and counts every item as a duplicate")
    void sameWindow() {
      poll(ten("m", 0));

      DedupeResult again = deduper.accept(rooms(ten("m", 0)));

      assertThat(again.fresh()).isEmpty();
      assertThat(again.duplicates()).isEqualTo(10);
      assertThat(again.gap()).isFalse();
    }

    @Test
    @DisplayName("a sliding window publishes only the items past the overlap")
    void slidingWindow() {
      Danmaku[] stream = concat(ten("m", 0), room("n0", 1), room("n1", 1), room("n2", 2));
      poll(slice(stream, 0, 10));

      DedupeResult result = deduper.accept(rooms(slice(stream, 3, 13)));

      assertThat(texts(result)).containsExactly("n0", "n1", "n2");
      assertThat(result.duplicates()).isEqualTo(7);
    }

    @Test
    @DisplayName("two identical items in one window are two messages, with ids -0 and -1")
    void identicalRepeatsInOneWindow() {
      DedupeResult result = deduper.accept(rooms(room("x"), room("x")));

      assertThat(texts(result)).containsExactly("x", "x");
      assertThat(result.fresh().get(0).id()).matches("[0-9a-f]{16}-0");
      assertThat(result.fresh().get(1).id()).isEqualTo(result.fresh().get(0).id().replace("-0", "-1"));
    }

    @Test
    @DisplayName("[x, x] then [x, x, x] is exactly one new x, numbered -2")
    void repeatsAreCountedNotCollapsed() {
      poll(room("x"), room("x"));

      DedupeResult result = deduper.accept(rooms(room("x"), room("x"), room("x")));

      assertThat(texts(result)).containsExactly("x");
      assertThat(result.fresh().get(0).id()).endsWith("-2");
      assertThat(result.duplicates()).isEqualTo(2);
    }

    @Test
    @DisplayName("repeats that straddle the window boundary are counted across it")
    void repeatsAcrossBoundary() {
      Danmaku x = room("x", 5);
      Danmaku[] previous = concat(ten("m", 0), x, x);
      poll(slice(previous, 2, 12));

      // Upstream: m2..m9, x, x, then x, n0..n6 arrive: the window is [x, x, x, n0..n6].
      List<String> fresh = poll(x, x, x, room("n0", 6), room("n1", 6), room("n2", 6), room("n3", 6),
          room("n4", 6), room("n5", 6), room("n6", 6));

      assertThat(fresh).containsExactly("x", "n0", "n1", "n2", "n3", "n4", "n5", "n6");
    }

    @Test
    @DisplayName("an item equal to one that slid out of the window is new: [a, b, c..] then [b, c.., a]")
    void equalToSlidOut() {
      Danmaku[] first = ten("m", 0);
      poll(first);

      List<String> fresh = poll(concat(slice(first, 1, 10), first[0]));

      assertThat(fresh).containsExactly("m0");
    }

    @Test
    @DisplayName("[a, b, c] then [b, c, a'] with a' equal to a: a' is new")
    void equalToDeletedInShortWindow() {
      poll(room("a"), room("b"), room("c"));

      assertThat(poll(room("b"), room("c"), room("a"))).containsExactly("a");
    }

    @Test
    @DisplayName("deleting the oldest of a short window publishes nothing")
    void deletionOfTheOldestInShortWindow() {
      poll(room("a"), room("b"), room("c"));

      DedupeResult result = deduper.accept(rooms(room("b"), room("c")));

      assertThat(result.fresh()).isEmpty();
      assertThat(result.duplicates()).isEqualTo(2);
    }

    @Test
    @DisplayName("repeats cut by the window's oldest edge are read as the same repeats: never twice, at worst one missed")
    void ambiguousEdgePrefersNoDuplicate() {
      Danmaku x = room("x", 1);
      poll(concat(slice(ten("m", 0), 0, 8), x, x));

      List<String> fresh = poll(concat(new Danmaku[] {x, x}, slice(ten("n", 2), 0, 8)));

      assertThat(fresh).containsExactly("n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7");
    }

    @Test
    @DisplayName("a deletion in the middle does not re-publish the rest: [a, b, c, d] then [a, c, d, e]")
    void deletionInTheMiddle() {
      poll(room("a"), room("b"), room("c"), room("d"));

      DedupeResult result = deduper.accept(rooms(room("a"), room("c"), room("d"), room("e")));

      assertThat(texts(result)).containsExactly("e");
      assertThat(result.duplicates()).isEqualTo(3);
    }

    @Test
    @DisplayName("deleting the newest item publishes nothing, and what follows is still new")
    void deletionOfTheNewest() {
      poll(room("a"), room("b"), room("c"), room("d"));

      assertThat(poll(room("a"), room("b"), room("c"))).isEmpty();
      assertThat(poll(room("a"), room("b"), room("c"), room("e"))).containsExactly("e");
    }

    @Test
    @DisplayName("deleting the newest item and a new arrival in the same interval publishes the arrival")
    void deletionOfTheNewestWithArrival() {
      poll(room("a"), room("b"), room("c"), room("d"));

      assertThat(poll(room("a"), room("b"), room("c"), room("e"))).containsExactly("e");
    }

    @Test
    @DisplayName("deleting the oldest of a full window lets an older message slide back in, which is not new")
    void deletionOfTheOldestBringsBackAnOlderOne() {
      Danmaku older = room("older", -5);
      Danmaku[] window = ten("m", 0);
      poll(window);

      DedupeResult result = deduper.accept(rooms(concat(new Danmaku[] {older}, slice(window, 1, 10))));

      assertThat(result.fresh()).isEmpty();
      assertThat(result.duplicates()).isEqualTo(10);
      assertThat(result.gap()).isFalse();
    }

    @Test
    @DisplayName("an older message sliding back in, in the same second, is still recognised as old")
    void oldMessageSameSecond() {
      Danmaku older = room("older", 0);
      Danmaku[] window = ten("m", 0);
      poll(window);

      List<String> fresh = poll(concat(new Danmaku[] {older}, concat(slice(window, 1, 9), room("n", 1))));

      assertThat(fresh).containsExactly("n");
    }

    @Test
    @DisplayName("a message seen two windows ago that comes back after a mass deletion is not re-published")
    void massDeletionBringsBackSeenMessages() {
      Danmaku[] first = ten("a", 0);
      Danmaku[] second = ten("b", 1);
      poll(first);
      poll(second);

      DedupeResult result = deduper.accept(rooms(first));

      assertThat(result.fresh()).isEmpty();
      assertThat(result.gap()).isFalse();
    }

    @Test
    @DisplayName("a whole window of unseen but older messages (the newest all deleted) is not new")
    void massDeletionBringsBackUnseenOlderMessages() {
      poll(ten("b", 10));

      DedupeResult result = deduper.accept(rooms(ten("a", 0)));

      assertThat(result.fresh()).isEmpty();
      assertThat(result.gap()).isFalse();
    }

    @Test
    @DisplayName("an empty window publishes nothing and does not reset the state")
    void emptyWindow() {
      poll(room("a"), room("b"));

      DedupeResult empty = deduper.accept(rooms());

      assertThat(empty.fresh()).isEmpty();
      assertThat(empty.duplicates()).isZero();
      assertThat(empty.gap()).isFalse();
      assertThat(poll(room("a"), room("b"), room("c"))).containsExactly("c");
    }

    @Test
    @DisplayName("a full window sharing nothing with the previous one is published and reported as a gap")
    void fullWindowGap() {
      poll(ten("a", 0));

      DedupeResult result = deduper.accept(rooms(ten("b", 1)));

      assertThat(texts(result)).hasSize(10).first().isEqualTo("b0");
      assertThat(result.gap()).isTrue();
      assertThat(result.duplicates()).isZero();
    }

    @Test
    @DisplayName("a full window is not a gap when it shares one item, nor on the first poll")
    void notAGap() {
      DedupeResult first = deduper.accept(rooms(ten("a", 0)));
      Danmaku[] next = concat(new Danmaku[] {room("a9", 0)}, slice(ten("b", 1), 0, 9));

      DedupeResult second = deduper.accept(rooms(next));

      assertThat(first.gap()).isFalse();
      assertThat(second.gap()).isFalse();
      assertThat(second.fresh()).hasSize(9);
    }

    @Test
    @DisplayName("a short window sharing nothing (everything deleted, few arrivals) is no gap")
    void shortDisjointWindowIsNoGap() {
      poll(room("a"), room("b"));

      DedupeResult result = deduper.accept(rooms(room("c", 1)));

      assertThat(texts(result)).containsExactly("c");
      assertThat(result.gap()).isFalse();
    }

    @Test
    @DisplayName("a new message stamped earlier than the window (server clock skew) is still published")
    void clockSkew() {
      poll(room("a", 10), room("b", 10));

      assertThat(poll(room("a", 10), room("b", 10), room("c", 3))).containsExactly("c");
      assertThat(poll(room("a", 10), room("b", 10), room("c", 3), room("d", 11))).containsExactly("d");
    }

    @Test
    @DisplayName("an upstream sending far longer windows than ten is still deduplicated, with bounded state")
    void longWindows() {
      Danmaku[] stream = new Danmaku[600];
      for (int i = 0; i < stream.length; i++) {
        stream[i] = room("long" + i, i / 10);
      }

      DedupeResult first = deduper.accept(rooms(slice(stream, 0, 500)));
      DedupeResult again = deduper.accept(rooms(slice(stream, 0, 500)));
      DedupeResult slid = deduper.accept(rooms(slice(stream, 60, 560)));

      assertThat(texts(first)).hasSize(ListDeduper.MAX_WINDOW).first().isEqualTo("long400");
      assertThat(first.duplicates()).isEqualTo(400);
      assertThat(again.fresh()).isEmpty();
      assertThat(texts(slid)).hasSize(60).first().isEqualTo("long500");
      assertThat(deduper.retainedItems()).isLessThanOrEqualTo(ListDeduper.MAX_HISTORY);
    }

    @Test
    @DisplayName("the same item differing only in rnd, uid or second is a different message")
    void fingerprintFields() {
      poll(room("x"));

      List<Danmaku> window = List.of(
          room("x"),
          Items.legacy(DanmakuList.ROOM, -1, 42, "x", Items.BASE_SECOND, "other-rnd"),
          Items.legacy(DanmakuList.ROOM, -1, 43, "x", Items.BASE_SECOND, "r"),
          room("x", 1));

      assertThat(texts(deduper.accept(answer(window, List.of())))).hasSize(3);
    }
  }

  @Nested
  @DisplayName("with two lists")
  class Lists {

    @Test
    @DisplayName("the room and admin lists are deduplicated apart, room first, with different ids")
    void listsApart() {
      DedupeResult first = deduper.accept(answer(List.of(room("same")), List.of(admin("same"))));
      DedupeResult second = deduper.accept(answer(List.of(room("same")), List.of(admin("same"), admin("new"))));

      assertThat(first.fresh()).extracting(f -> f.danmaku().list())
          .containsExactly(DanmakuList.ROOM, DanmakuList.ADMIN);
      assertThat(first.fresh().get(0).id()).isNotEqualTo(first.fresh().get(1).id());
      assertThat(texts(second)).containsExactly("new");
      assertThat(second.duplicates()).isEqualTo(2);
    }

    @Test
    @DisplayName("an empty admin list does not disturb the room list, and a gap in one list is reported")
    void gapInOneList() {
      deduper.accept(answer(List.of(ten("a", 0)), List.of(admin("boss"))));

      DedupeResult result = deduper.accept(answer(List.of(ten("b", 1)), List.of()));

      assertThat(result.gap()).isTrue();
      assertThat(result.fresh()).hasSize(10);
    }
  }

  @Nested
  @DisplayName("with modern items (id_str)")
  class Modern {

    @Test
    @DisplayName("keys on id_str: the id is the dedupe id and a known id is never new")
    void keyedOnId() {
      DedupeResult first = deduper.accept(rooms(modern("id1", "a", 0), modern("id2", "b", 0)));
      DedupeResult second = deduper.accept(rooms(modern("id1", "a", 0), modern("id2", "b", 0), modern("id3", "c", 1)));

      assertThat(first.fresh()).extracting(FreshMessage::id).containsExactly("id1", "id2");
      assertThat(second.fresh()).extracting(FreshMessage::id).containsExactly("id3");
    }

    @Test
    @DisplayName("identical texts with distinct ids are distinct messages")
    void identicalTextDistinctIds() {
      deduper.accept(rooms(modern("id1", "x", 0)));

      DedupeResult result = deduper.accept(rooms(modern("id1", "x", 0), modern("id2", "x", 0), modern("id3", "x", 0)));

      assertThat(result.fresh()).extracting(FreshMessage::id).containsExactly("id2", "id3");
    }

    @Test
    @DisplayName("an upstream that reorders or repeats ids never makes a known message new")
    void reorderedIds() {
      deduper.accept(rooms(modern("id1", "a", 0), modern("id2", "b", 0)));

      DedupeResult result = deduper.accept(rooms(modern("id2", "b", 0), modern("id1", "a", 0), modern("id2", "b", 0)));

      assertThat(result.fresh()).isEmpty();
      assertThat(result.duplicates()).isEqualTo(3);
    }

    @Test
    @DisplayName("a modern deletion in the middle publishes only the arrival")
    void modernDeletion() {
      deduper.accept(rooms(modern("1", "a", 0), modern("2", "b", 0), modern("3", "c", 0)));

      DedupeResult result = deduper.accept(rooms(modern("1", "a", 0), modern("3", "c", 0), modern("4", "d", 0)));

      assertThat(result.fresh()).extracting(FreshMessage::id).containsExactly("4");
    }
  }

  @Nested
  @DisplayName("snapshots")
  class Snapshots {

    @Test
    @DisplayName("a restored deduper publishes no duplicates and gives the same ids as one never restarted")
    void roundTrip() {
      RoomDeduper steady = new RoomDeduper(ROOM);
      Danmaku x = room("x", 1);
      PollResult.Success before = answer(List.of(room("a"), x, x), List.of(admin("boss")));
      PollResult.Success after = answer(List.of(room("a"), x, x, x, room("b", 2)), List.of(admin("boss")));
      deduper.accept(before);
      steady.accept(before);

      String stored = deduper.snapshot().encode();
      RoomDeduper restored = RoomDeduper.restore(ROOM, new JsonObject(stored));
      DedupeResult resumed = restored.accept(after);
      DedupeResult continued = steady.accept(after);

      assertThat(texts(resumed)).containsExactly("x", "b");
      assertThat(resumed.fresh()).extracting(FreshMessage::id)
          .containsExactlyElementsOf(continued.fresh().stream().map(FreshMessage::id).toList());
      assertThat(resumed.fresh().get(0).id()).endsWith("-2");
      assertThat(stored.length()).isLessThan(2_000);
    }

    @Test
    @DisplayName("a snapshot of a fresh deduper restores to one that publishes the first window whole")
    void freshRoundTrip() {
      RoomDeduper restored = RoomDeduper.restore(ROOM, new RoomDeduper(ROOM).snapshot());

      assertThat(texts(restored.accept(rooms(room("a"))))).containsExactly("a");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{}",
        "{\"version\":2,\"room_id\":21452505,\"room\":{},\"admin\":{}}",
        "{\"version\":1,\"room_id\":1,\"room\":{\"window\":0,\"floor\":0,\"history\":[],\"occurrences\":[]},"
            + "\"admin\":{\"window\":0,\"floor\":0,\"history\":[],\"occurrences\":[]}}",
        "{\"version\":1,\"room_id\":21452505,\"room\":\"x\",\"admin\":{}}",
        "{\"version\":1,\"room_id\":21452505,\"room\":{\"window\":1,\"floor\":0,\"history\":[[\"zz\",null,1]],"
            + "\"occurrences\":[]},\"admin\":{\"window\":0,\"floor\":0,\"history\":[],\"occurrences\":[]}}",
        "{\"version\":1,\"room_id\":21452505,\"room\":{\"window\":5,\"floor\":0,\"history\":[],\"occurrences\":[]},"
            + "\"admin\":{\"window\":0,\"floor\":0,\"history\":[],\"occurrences\":[]}}",
        "{\"version\":1,\"room_id\":21452505,\"room\":{\"window\":0,\"floor\":\"x\",\"history\":[],\"occurrences\":[]},"
            + "\"admin\":{\"window\":0,\"floor\":0,\"history\":[],\"occurrences\":[]}}",
        "{\"version\":1,\"room_id\":21452505,\"room\":{\"window\":0,\"floor\":0,\"history\":[],"
            + "\"occurrences\":[[\"0123456789abcdef\",1,-1]]},\"admin\":{\"window\":0,\"floor\":0,\"history\":[],\"occurrences\":[]}}",
        "{\"version\":1,\"room_id\":21452505,\"room\":{\"window\":0,\"floor\":0,\"history\":[],\"occurrences\":[]},"
            + "\"admin\":{\"window\":0,\"floor\":0,\"history\":[[1,2,3]],\"occurrences\":[]}}"})
    @DisplayName("a malformed snapshot gives a fresh deduper, never an exception")
    void malformed(String snapshot) {
      RoomDeduper restored = RoomDeduper.restore(ROOM, new JsonObject(snapshot));

      assertThat(texts(restored.accept(rooms(room("a"), room("b"))))).containsExactly("a", "b");
      assertThat(RoomDeduper.restore(ROOM, null).snapshot()).isEqualTo(new RoomDeduper(ROOM).snapshot());
    }

    @Test
    @DisplayName("an oversized history in a snapshot is refused")
    void oversized() {
      JsonObject snapshot = deduper.snapshot();
      JsonArray huge = new JsonArray();
      for (int i = 0; i < 10_000; i++) {
        huge.add(new JsonArray().add("0123456789abcdef").addNull().add(1));
      }
      snapshot.getJsonObject("room").put("history", huge);

      RoomDeduper restored = RoomDeduper.restore(ROOM, snapshot);

      assertThat(restored.retainedItems()).isZero();
    }
  }

  @Nested
  @DisplayName("state and ids")
  class StateAndIds {

    @Test
    @DisplayName("state stays bounded over 100k polls of a busy room with repeats")
    void boundedState() {
      List<Danmaku> upstream = new ArrayList<>();
      int published = 0;
      for (int poll = 0; poll < 100_000; poll++) {
        int second = poll / 3;
        upstream.add(room("t" + (poll % 7), second));
        if (poll % 5 == 0) {
          upstream.add(room("t" + (poll % 7), second));
        }
        if (upstream.size() > 10) {
          upstream.subList(0, upstream.size() - 10).clear();
        }
        published += deduper.accept(rooms(upstream.toArray(Danmaku[]::new))).fresh().size();
      }

      assertThat(published).isEqualTo(100_000 + 20_000);
      assertThat(deduper.retainedItems()).isLessThanOrEqualTo(2 * ListDeduper.HISTORY);
      assertThat(deduper.occurrenceCounters()).isLessThanOrEqualTo(2 * ListDeduper.HISTORY);
      assertThat(deduper.snapshot().encode().length()).isLessThan(4_000);
    }

    @Test
    @DisplayName("legacy ids are unique, short and the same for the same stream in another deduper")
    void idsStableAndUnique() {
      RoomDeduper other = new RoomDeduper(ROOM);
      Set<String> ids = new HashSet<>();
      List<String> first = new ArrayList<>();
      List<String> second = new ArrayList<>();
      List<Danmaku> upstream = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        upstream.add(room("x", i / 5));
        if (upstream.size() > 10) {
          upstream.remove(0);
        }
        PollResult.Success window = rooms(upstream.toArray(Danmaku[]::new));
        deduper.accept(window).fresh().forEach(f -> first.add(f.id()));
        other.accept(window).fresh().forEach(f -> second.add(f.id()));
      }

      ids.addAll(first);
      assertThat(first).hasSize(500).isEqualTo(second);
      assertThat(ids).hasSize(500);
      assertThat(first).allMatch(id -> id.matches("[0-9a-f]{16}-\\d+"));
      assertThat(first.get(7)).endsWith("-2");
    }

    @Test
    @DisplayName("the id depends on the room")
    void idDependsOnRoom() {
      String here = deduper.accept(rooms(room("a"))).fresh().get(0).id();
      String there = new RoomDeduper(ROOM + 1).accept(rooms(room("a"))).fresh().get(0).id();

      assertThat(here).isNotEqualTo(there);
    }
  }
}
