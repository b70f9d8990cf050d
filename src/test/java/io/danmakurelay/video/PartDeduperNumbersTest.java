package io.danmakurelay.video;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The deduper keyed on dmids as numbers against the same deduper keyed on the strings, read for read. */
class PartDeduperNumbersTest {

  /** Ids that are not a plain decimal long: a leading zero, 20 digits, past Long.MAX_VALUE. */
  static final String[] ODD = {"07", "00", "12345678901234567890", "9223372036854775808"};

  @Test
  @DisplayName("3,000 random reads (sliding, shrinking, full, with repeats, restores and now and then an id that is not a "
      + "long): the same fresh danmaku, duplicates, gaps, remembered ids and snapshot bytes as keyed on strings")
  void sameAsKeyedOnStrings() {
    SplittableRandom rng = new SplittableRandom(12);
    PartDeduper numbers = new PartDeduper(7);
    PartDeduper strings = PartDeduper.keyedOnStrings(7);
    long newest = 1_700_031_000_000_000L;
    int gaps = 0;
    int oddReads = 0;
    for (int read = 0; read < 3_000; read++) {
      int maxLimit = rng.nextInt(5) == 0 ? 0 : 1 + rng.nextInt(60);
      int count = rng.nextInt(maxLimit == 0 ? 40 : maxLimit + 1);
      List<PoolDanmaku> items = new ArrayList<>();
      long from = newest - rng.nextInt(80) + rng.nextInt(rng.nextInt(10) == 0 ? 200 : 40);
      boolean odd = rng.nextInt(25) == 0;
      for (int i = 0; i < count; i++) {
        String id = odd && rng.nextInt(8) == 0 ? ODD[rng.nextInt(ODD.length)]
            : rng.nextInt(20) == 0 ? Long.toString(newest - rng.nextInt(100)) : Long.toString(from + i);
        items.add(new PoolDanmaku(id, i, 1, 25, 0, 0, 0, "h", "t", "p"));
      }
      oddReads += odd ? 1 : 0;
      newest = Math.max(newest, from + count);
      Pool pool = new Pool(1, maxLimit, items, 0, null);
      PartDeduper.Result expected = strings.accept(pool);
      PartDeduper.Result actual = numbers.accept(pool);
      assertThat(actual).as("read %d", read).isEqualTo(expected);
      gaps += expected.gap() ? 1 : 0;
      assertThat(numbers.rememberedIds()).isEqualTo(strings.rememberedIds());
      String snapshot = strings.snapshot().encode();
      assertThat(numbers.snapshot().encode()).as("read %d", read).isEqualTo(snapshot);
      if (rng.nextInt(50) == 0) {
        numbers = PartDeduper.restore(7, new JsonObject(snapshot));
      }
    }
    // Every branch was taken: gaps, reads with odd ids, and both snapshot forms.
    assertThat(gaps).isPositive();
    assertThat(oddReads).isGreaterThan(50);
  }

  @Test
  @DisplayName("the set of numbers keeps its order and its members through growth, and keeps the newest when cut")
  void orderedLongSet() {
    OrderedLongSet set = new OrderedLongSet(1);
    for (long v = 0; v < 5_000; v++) {
      assertThat(set.add(v * 1_000_003L % 7_919L + (v / 7_919L) * 10_000L)).isTrue();
    }
    assertThat(set.add(0)).isFalse();
    assertThat(set.contains(Long.MAX_VALUE)).isFalse();
    assertThat(set.add(Long.MAX_VALUE)).isTrue();
    assertThat(set.add(Long.MAX_VALUE)).isFalse();
    assertThat(set.contains(Long.MAX_VALUE)).isTrue();
    assertThat(set.contains(9_999)).isFalse();
    assertThat(set.size()).isEqualTo(5_001);
    assertThat(set.get(1)).isEqualTo(1_000_003L % 7_919L);
    OrderedLongSet newest = set.newest(2);
    assertThat(newest.size()).isEqualTo(2);
    assertThat(newest.get(1)).isEqualTo(Long.MAX_VALUE);
    assertThat(newest.contains(set.get(4_999))).isTrue();
    assertThat(newest.contains(set.get(4_998))).isFalse();
  }
}
