package io.danmakurelay.video;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartDeduperTest {

  /** A pool of maxlimit {@code max} holding dmids from..to (inclusive), oldest first. */
  static Pool window(int max, int from, int to) {
    List<PoolDanmaku> items = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      items.add(new PoolDanmaku(Integer.toString(i), i, 1, 25, 0, 1500000000L + i, 0, "abcdef12", "t" + i, "p"));
    }
    return new Pool(1, max, items, 0, null);
  }

  static List<String> ids(PartDeduper.Result r) {
    return r.fresh().stream().map(PoolDanmaku::dmid).toList();
  }

  @Test
  @DisplayName("each dmid is new once: overlapping reads of a sliding pool yield only what arrived since")
  void slidingPool() {
    PartDeduper deduper = new PartDeduper(1);
    assertThat(ids(deduper.accept(window(5, 1, 5)))).containsExactly("1", "2", "3", "4", "5");
    PartDeduper.Result second = deduper.accept(window(5, 4, 8));
    assertThat(ids(second)).containsExactly("6", "7", "8");
    assertThat(second.duplicates()).isEqualTo(2);
    assertThat(second.gap()).isFalse();
    assertThat(ids(deduper.accept(window(5, 4, 8)))).isEmpty();
  }

  @Test
  @DisplayName("a full re-read sharing nothing with the last read is a gap; a first read or a non-full pool is not")
  void gaps() {
    PartDeduper deduper = new PartDeduper(1);
    assertThat(deduper.accept(window(5, 1, 5)).gap()).isFalse();
    assertThat(deduper.accept(window(5, 20, 24)).gap()).isTrue();
    assertThat(deduper.accept(window(10, 30, 33)).gap()).isFalse();
  }

  @Test
  @DisplayName("the state stays a pool's worth of ids however many reads there were")
  void bounded() {
    PartDeduper deduper = new PartDeduper(1);
    for (int start = 1; start < 10_000; start += 50) {
      deduper.accept(window(100, start, start + 99));
    }
    assertThat(deduper.rememberedIds()).isEqualTo(100);
  }

  @Test
  @DisplayName("ids a read lacks while the pool is not full are kept, so they are not new when they come back")
  void flapping() {
    PartDeduper deduper = new PartDeduper(1);
    deduper.accept(window(10, 1, 4));
    deduper.accept(window(10, 2, 4));
    assertThat(ids(deduper.accept(window(10, 1, 5)))).containsExactly("5");
  }

  @Test
  @DisplayName("identical dmids within one read count once")
  void repeatsInOneRead() {
    PartDeduper deduper = new PartDeduper(1);
    Pool twice = new Pool(1, 10, List.of(window(10, 1, 1).danmaku().get(0), window(10, 1, 1).danmaku().get(0)), 0, null);
    PartDeduper.Result r = deduper.accept(twice);
    assertThat(ids(r)).containsExactly("1");
    assertThat(r.duplicates()).isEqualTo(1);
  }

  @Test
  @DisplayName("a deduper restored from its snapshot continues where it was; a broken snapshot starts empty")
  void snapshot() {
    PartDeduper deduper = new PartDeduper(7);
    deduper.accept(window(5, 1, 5));
    PartDeduper restored = PartDeduper.restore(7, new io.vertx.core.json.JsonObject(deduper.snapshot().encode()));
    assertThat(ids(restored.accept(window(5, 3, 7)))).containsExactly("6", "7");
    PartDeduper broken = PartDeduper.restore(7, new io.vertx.core.json.JsonObject().put("ids", "nope").put("reads", "x"));
    assertThat(ids(broken.accept(window(5, 1, 2)))).containsExactly("1", "2");
    assertThat(PartDeduper.restore(7, null).rememberedIds()).isZero();
  }

  @Test
  @DisplayName("history snapshots oldest first, then the current pool: overlapping danmaku once")
  void history() {
    PartDeduper deduper = new PartDeduper(1);
    List<String> all = new ArrayList<>();
    all.addAll(ids(deduper.accept(window(5, 1, 5))));
    all.addAll(ids(deduper.accept(window(5, 3, 7))));
    all.addAll(ids(deduper.accept(window(5, 6, 10))));
    all.addAll(ids(deduper.accept(window(5, 8, 12))));
    assertThat(all).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");
  }

  @Test
  @DisplayName("the snapshot packs dmids (a few bytes each, not a list of strings) and comes back the same, order kept")
  void packedSnapshot() {
    PartDeduper deduper = new PartDeduper(7);
    List<PoolDanmaku> items = new ArrayList<>();
    long[] ids = {1700031000000001L, 1700031000000003L, 1700031000000002L, 0, 9, Long.MAX_VALUE, 5, 1587524417185146880L};
    for (long id : ids) {
      items.add(new PoolDanmaku(Long.toString(id), 0, 1, 25, 0, 0, 0, "abcdef12", "t", "p"));
    }
    deduper.accept(new Pool(1, 100, items, 0, null));
    io.vertx.core.json.JsonObject snapshot = deduper.snapshot();
    assertThat(snapshot.fieldNames()).containsExactly("packed_ids", "reads");
    PartDeduper restored = PartDeduper.restore(7, new io.vertx.core.json.JsonObject(snapshot.encode()));
    assertThat(restored.snapshot()).isEqualTo(snapshot);
    assertThat(PartDeduper.unpack(snapshot.getString("packed_ids")))
        .containsExactly(java.util.Arrays.stream(ids).mapToObj(Long::toString).toArray(String[]::new));
    assertThat(ids(restored.accept(new Pool(1, 100, items, 0, null)))).isEmpty();

    PartDeduper full = new PartDeduper(7);
    full.accept(window(8000, 1_000_000_000, 1_000_007_999));
    int packed = full.snapshot().encode().length();
    int listed = new io.vertx.core.json.JsonObject().put("ids", new io.vertx.core.json.JsonArray(
        new ArrayList<>(PartDeduper.unpack(full.snapshot().getString("packed_ids"))))).encode().length();
    assertThat(packed).isLessThan(listed / 8);
  }

  @Test
  @DisplayName("a snapshot written before packing (a list of ids) still loads; ids that do not pack keep the list")
  void listedSnapshot() {
    // Exactly what the relay wrote until now.
    String old = "{\"ids\":[\"11\",\"12\",\"13\",\"14\",\"15\"],\"reads\":3}";
    PartDeduper restored = PartDeduper.restore(7, new io.vertx.core.json.JsonObject(old));
    assertThat(restored.rememberedIds()).isEqualTo(5);
    assertThat(ids(restored.accept(window(5, 13, 17)))).containsExactly("16", "17");
    assertThat(restored.snapshot().getValue("reads")).isEqualTo(4L);

    PartDeduper odd = new PartDeduper(7);
    List<PoolDanmaku> items = new ArrayList<>();
    for (String id : List.of("1", "007", "99999999999999999999", "2")) {
      items.add(new PoolDanmaku(id, 0, 1, 25, 0, 0, 0, "abcdef12", "t", "p"));
    }
    odd.accept(new Pool(1, 100, items, 0, null));
    io.vertx.core.json.JsonObject snapshot = odd.snapshot();
    assertThat(snapshot.getJsonArray("ids").getList()).containsExactly("1", "007", "99999999999999999999", "2");
    PartDeduper back = PartDeduper.restore(7, new io.vertx.core.json.JsonObject(snapshot.encode()));
    assertThat(ids(back.accept(new Pool(1, 100, items, 0, null)))).isEmpty();
    assertThat(PartDeduper.restore(7, new io.vertx.core.json.JsonObject().put("packed_ids", "%%%")).rememberedIds())
        .isZero();
    assertThat(PartDeduper.restore(7, new io.vertx.core.json.JsonObject().put("packed_ids", "gA")).rememberedIds())
        .isZero();
  }
}
