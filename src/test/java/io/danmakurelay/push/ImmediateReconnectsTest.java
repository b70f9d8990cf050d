package io.danmakurelay.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Immediate reconnects: which lost connections come back at once, and how many at a time")
class ImmediateReconnectsTest {

  static final long T0 = 1_800_000_000_000L;

  @Test
  @DisplayName("Healthy: lost by a server close or a heartbeat timeout, at least healthyAfterMs after its auth")
  void healthy() {
    ImmediateReconnects r = new ImmediateReconnects(5_000, 50, 50);
    assertThat(r.healthy("closed", T0, T0 + 5_000)).isTrue();
    assertThat(r.healthy("closed", T0, T0 + 60_000)).isTrue();
    assertThat(r.healthy("heartbeat_timeout", T0, T0 + 60_000)).isTrue();
    assertThat(r.healthy("closed", T0, T0 + 4_999)).as("dropped within seconds of its auth").isFalse();
    assertThat(r.healthy("closed", T0, T0 - 1)).as("a clock stepped back").isFalse();
  }

  @Test
  @DisplayName("Every other reason waits however long the connection lived: malformed input, refused token or auth,"
      + " auth timeout, refused connect or IP, failed connection info")
  void otherReasonsWait() {
    ImmediateReconnects r = new ImmediateReconnects(0, 50, 50);
    for (String reason : PushClient.REASONS) {
      boolean immediate = reason.equals("closed") || reason.equals("heartbeat_timeout");
      assertThat(r.healthy(reason, T0, T0 + 600_000)).as(reason).isEqualTo(immediate);
    }
    assertThat(PushClient.REASONS).containsAll(ImmediateReconnects.IMMEDIATE_REASONS);
  }

  @Test
  @DisplayName("1,000 drops in one millisecond take the burst's 50 tokens; the bucket refills at 50/s up to 50")
  void bucket() {
    ImmediateReconnects r = ImmediateReconnects.defaults();
    long granted = IntStream.range(0, 1_000).filter(i -> r.tryTake(T0)).count();
    assertThat(granted).isEqualTo(ImmediateReconnects.BURST);
    assertThat(r.tryTake(T0)).isFalse();
    assertThat(r.available(T0 + 100)).isEqualTo(5);
    assertThat(IntStream.range(0, 100).filter(i -> r.tryTake(T0 + 100)).count()).isEqualTo(5);
    assertThat(r.tryTake(T0 + 119)).isFalse();
    assertThat(r.tryTake(T0 + 120)).isTrue();
    assertThat(r.available(T0 + 3_600_000)).isEqualTo(ImmediateReconnects.BURST);
  }

  @Test
  @DisplayName("Drops at the steady rate the bucket allows all go at once")
  void steadyRate() {
    ImmediateReconnects r = new ImmediateReconnects(5_000, 5, 50);
    // 40 drops a second, evenly, for a minute: every one finds a token.
    for (int i = 0; i < 2_400; i++) {
      assertThat(r.tryTake(T0 + i * 25L)).as("drop %d", i).isTrue();
    }
  }

  @Test
  @DisplayName("A clock stepped back neither refills nor empties the bucket; it refills again from the new time")
  void clockStepsBack() {
    ImmediateReconnects r = new ImmediateReconnects(0, 2, 10);
    assertThat(r.tryTake(T0)).isTrue();
    assertThat(r.tryTake(T0)).isTrue();
    assertThat(r.tryTake(T0 - 60_000)).isFalse();
    assertThat(r.tryTake(T0 - 59_900)).as("100 ms after the step at 10/s").isTrue();
  }

  @Test
  @DisplayName("A bucket of 0 makes no immediate reconnect; negative or infinite settings are refused")
  void bounds() {
    ImmediateReconnects none = new ImmediateReconnects(0, 0, 0);
    assertThat(none.tryTake(T0)).isFalse();
    assertThat(none.tryTake(T0 + 3_600_000)).isFalse();
    assertThatThrownBy(() -> new ImmediateReconnects(-1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ImmediateReconnects(0, -1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ImmediateReconnects(0, 1, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ImmediateReconnects(0, 1, Double.POSITIVE_INFINITY))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
