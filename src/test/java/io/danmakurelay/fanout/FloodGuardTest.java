package io.danmakurelay.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("FloodGuard")
class FloodGuardTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  @DisplayName("a burst up to its size passes, the frame after it does not")
  void burst() {
    FloodGuard guard = new FloodGuard(50, 100, 0);
    for (int i = 0; i < 100; i++) {
      assertThat(guard.tryAcquire(0)).as("frame %d", i).isTrue();
    }
    assertThat(guard.tryAcquire(0)).isFalse();
  }

  @Test
  @DisplayName("the steady rate is allowed forever, one frame more per second is not")
  void sustainedRate() {
    FloodGuard steady = new FloodGuard(50, 10, 0);
    long now = 0;
    for (int i = 0; i < 50 * 60; i++) {
      now += SECOND / 50;
      assertThat(steady.tryAcquire(now)).isTrue();
    }
    FloodGuard faster = new FloodGuard(50, 10, 0);
    now = 0;
    boolean refused = false;
    for (int i = 0; i < 51 * 60 && !refused; i++) {
      now += SECOND / 51;
      refused = !faster.tryAcquire(now);
    }
    assertThat(refused).isTrue();
  }

  @Test
  @DisplayName("idle time refills the bucket only up to the burst size, and a clock going back does no harm")
  void refillCapped() {
    FloodGuard guard = new FloodGuard(50, 5, 0);
    long later = 3600 * SECOND;
    for (int i = 0; i < 5; i++) {
      assertThat(guard.tryAcquire(later)).isTrue();
    }
    assertThat(guard.tryAcquire(later)).isFalse();
    assertThat(guard.tryAcquire(later - SECOND)).isFalse();
  }
}
