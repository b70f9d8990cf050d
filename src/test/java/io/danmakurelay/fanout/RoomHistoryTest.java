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
      assertThat(history.offer(i, Buffer.buffer("m" + i))).isEqualTo(RoomHistory.Offer.APPENDED);
    }
    return history;
  }

  private static List<String> texts(List<Buffer> frames) {
    return frames.stream().map(Buffer::toString).toList();
  }

  @Test
  @DisplayName("an empty room has seq 0 and holds nothing")
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

  @Test
  @DisplayName("a seq at or below the last one is a repeat and changes nothing")
  void repeats() {
    RoomHistory history = withMessages(10, 3);
    assertThat(history.offer(2, Buffer.buffer("again"))).isEqualTo(RoomHistory.Offer.REPEATED);
    assertThat(history.offer(3, Buffer.buffer("again"))).isEqualTo(RoomHistory.Offer.REPEATED);
    assertThat(texts(history.after(0))).containsExactly("m1", "m2", "m3");
  }

  @Test
  @DisplayName("the first seq of a room may be anything (a refill of the topic's tail)")
  void startsMidStream() {
    RoomHistory history = new RoomHistory(10);
    assertThat(history.offer(500, Buffer.buffer("m500"))).isEqualTo(RoomHistory.Offer.APPENDED);
    assertThat(history.offer(501, Buffer.buffer("m501"))).isEqualTo(RoomHistory.Offer.APPENDED);
    assertThat(history.oldestHeldSeq()).isEqualTo(500);
    assertThat(history.lastSeq()).isEqualTo(501);
    assertThat(texts(history.after(0))).containsExactly("m500", "m501");
    assertThat(texts(history.after(500))).containsExactly("m501");
  }

  @Test
  @DisplayName("a jump past the next seq drops what was held, so the held seqs stay contiguous")
  void hole() {
    RoomHistory history = withMessages(10, 3);
    assertThat(history.offer(7, Buffer.buffer("m7"))).isEqualTo(RoomHistory.Offer.AFTER_HOLE);
    assertThat(history.oldestHeldSeq()).isEqualTo(7);
    assertThat(texts(history.after(2))).containsExactly("m7");
  }
}
