package io.danmakurelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Risk control")
class RateLimitBanTest {

  static final long T0 = 1_000_000L;

  @Test
  @DisplayName("admits up to the limit in one second and bans the request that exceeds it")
  void bansAboveTheLimit() {
    RateLimitBan risk = new RateLimitBan(5, 60);
    for (int i = 0; i < 5; i++) {
      assertThat(risk.admit(T0 + i)).isTrue();
    }
    assertThat(risk.admit(T0 + 10)).isFalse();
    assertThat(risk.banned(T0 + 10)).isTrue();
    assertThat(risk.rejected()).isEqualTo(1);
    assertThat(risk.bans()).isEqualTo(1);
  }

  @Test
  @DisplayName("refuses everything during the ban and admits again once it is over and the window is quiet")
  void banLastsBanSeconds() {
    RateLimitBan risk = new RateLimitBan(2, 3);
    risk.admit(T0);
    risk.admit(T0);
    assertThat(risk.admit(T0)).isFalse();
    assertThat(risk.admit(T0 + 2_000)).isFalse();
    assertThat(risk.admit(T0 + 2_999)).isFalse();
    assertThat(risk.admit(T0 + 3_000)).as("the window still holds the request at 2999 ms").isTrue();
    assertThat(risk.admit(T0 + 4_500)).isTrue();
    assertThat(risk.rejected()).isEqualTo(3);
    assertThat(risk.total()).isEqualTo(7);
  }

  @Test
  @DisplayName("never bans a client that stays at the limit with a sliding window")
  void slidingWindowAtTheLimit() {
    RateLimitBan risk = new RateLimitBan(4, 60);
    for (int i = 0; i < 400; i++) {
      assertThat(risk.admit(T0 + i * 250L)).isTrue();
    }
    assertThat(risk.maxInWindow()).isEqualTo(4);
    assertThat(risk.admit(T0 + 399 * 250L + 1)).isFalse();
  }

  @Test
  @DisplayName("counts the most requests seen in any second, with the limit off")
  void maxWindowWithoutLimit() {
    RateLimitBan risk = new RateLimitBan(0, 60);
    for (int i = 0; i < 3000; i++) {
      assertThat(risk.admit(T0 + i / 3)).isTrue();
    }
    assertThat(risk.maxInWindow()).isEqualTo(3000);
    assertThat(risk.admit(T0 + 5_000)).isTrue();
    assertThat(risk.maxInWindow()).isEqualTo(3000);
  }

  @Test
  @DisplayName("starts a ban on request and lifts it with a zero-second ban")
  void manualBan() {
    RateLimitBan risk = new RateLimitBan(0, 60);
    risk.ban(T0, 10);
    assertThat(risk.admit(T0 + 9_999)).isFalse();
    assertThat(risk.admit(T0 + 10_000)).isTrue();
    risk.ban(T0 + 20_000, 30);
    risk.ban(T0 + 20_001, 0);
    assertThat(risk.admit(T0 + 20_002)).isTrue();
  }
}
