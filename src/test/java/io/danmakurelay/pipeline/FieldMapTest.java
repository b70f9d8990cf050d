package io.danmakurelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FieldMapTest {

  final FieldMap.Head head = new FieldMap.Head(new FieldMap(2).append("cid", 1L).append("aid", 2L));
  final FieldMap.Shape shape = new FieldMap.Shape("cid", "aid", "id", "text");

  FieldMap on(String id, String text) {
    return new FieldMap(shape, head, new Object[] {null, null, id, text});
  }

  static Map<String, Object> plain(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  @DisplayName("maps on one shape hold the head's fields then their own, in order, and keep the head until it changes")
  void onAShape() {
    FieldMap a = on("1", "x");
    assertThat(a).containsExactlyEntriesOf(plain("cid", 1L, "aid", 2L, "id", "1", "text", "x"));
    assertThat(a.head()).isSameAs(head);
    assertThat(a.get("text")).isEqualTo("x");
    a.put("aid", 3L);
    assertThat(a.head()).isNull();
  }

  @Test
  @DisplayName("adding, removing or clearing fields of one map on a shape leaves the others on it as they were")
  void sharedNamesCopiedBeforeWritten() {
    FieldMap a = on("1", "x");
    FieldMap b = on("2", "y");
    FieldMap c = on("3", "z");
    a.remove("id");
    b.put("seq", 9L);
    c.clear();
    c.put("other", "o");
    FieldMap d = on("4", "w");
    assertThat(a).containsExactlyEntriesOf(plain("cid", 1L, "aid", 2L, "text", "x"));
    assertThat(b).containsExactlyEntriesOf(plain("cid", 1L, "aid", 2L, "id", "2", "text", "y", "seq", 9L));
    assertThat(c).containsExactlyEntriesOf(plain("other", "o"));
    assertThat(d).containsExactlyEntriesOf(plain("cid", 1L, "aid", 2L, "id", "4", "text", "w"));
    assertThat(d.get("seq")).isNull();
  }

  @Test
  @DisplayName("values that do not fit the shape, or a shape that does not start with the head's names, are refused")
  void refused() {
    assertThatThrownBy(() -> new FieldMap(shape, head, new Object[3])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FieldMap(new FieldMap.Shape("aid", "cid"), head, new Object[2]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("a shape that took one head still refuses another head whose names it does not start with, every time")
  void checkedPerHead() {
    FieldMap ok = new FieldMap(shape, head, new Object[4]);
    assertThat(ok).containsEntry("cid", 1L);
    FieldMap.Head other = new FieldMap.Head(new FieldMap(2).append("aid", 2L).append("cid", 1L));
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> new FieldMap(shape, other, new Object[4])).isInstanceOf(IllegalArgumentException.class);
      assertThat(new FieldMap(shape, head, new Object[4])).containsEntry("aid", 2L);
    }
  }
}
