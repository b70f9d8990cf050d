package io.danmakurelay.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RoomHistory")
class RoomHistoryTest {

  private static RoomHistory withMessages(int capacity, int count) {
    RoomHistory history = new RoomHistory(capacity);
    for (int i = 1; i <= count; i++) {
      assertThat(history.nextSeq()).isEqualTo(i);
      assertThat(history.append(Buffer.buffer("m" + i))).isEqualTo(i);
    }
    return history;
  }

  private static List<String> texts(List<Buffer> frames) {
    return frames.stream().map(Buffer::toString).toList();
  }

  @Test
  @DisplayName("an empty room has seq 0, holds nothing and its next seq is 1")
  void empty() {
    RoomHistory history = new RoomHistory(3);
    assertThat(history.isEmpty()).isTrue();
    assertThat(history.lastSeq()).isZero();
    assertThat(history.oldestHeldSeq()).isEqualTo(1);
    assertThat(history.after(0)).isEmpty();
  }

  @Test
  @DisplayName("after(since) returns exactly the held messages with a higher seq")
  void afterSince() {
    RoomHistory history = withMessages(10, 5);
    assertThat(texts(history.after(0))).containsExactly("m1", "m2", "m3", "m4", "m5");
    assertThat(texts(history.after(3))).containsExactly("m4", "m5");
    assertThat(history.after(5)).isEmpty();
  }

  @Test
  @DisplayName("past its capacity it forgets the oldest and says how far back it reaches")
  void bounded() {
    RoomHistory history = withMessages(3, 7);
    assertThat(history.lastSeq()).isEqualTo(7);
    assertThat(history.oldestHeldSeq()).isEqualTo(5);
    assertThat(texts(history.after(1))).containsExactly("m5", "m6", "m7");
    assertThat(texts(history.after(5))).containsExactly("m6", "m7");
  }

  @Test
  @DisplayName("with capacity 0 it still numbers messages but holds none")
  void noHistory() {
    RoomHistory history = withMessages(0, 4);
    assertThat(history.lastSeq()).isEqualTo(4);
    assertThat(history.oldestHeldSeq()).isEqualTo(5);
    assertThat(history.after(2)).isEmpty();
  }
}
