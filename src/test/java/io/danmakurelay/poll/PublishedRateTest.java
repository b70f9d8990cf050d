package io.danmakurelay.poll;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PublishedRate (a room's rate of published messages)")
class PublishedRateTest {

  @Test
  @DisplayName("0 before the first publish; a steady rate reads right when young and when old; silence decays it")
  void steadyYoungOldAndSilent() {
    PublishedRate rate = new PublishedRate();
    assertThat(rate.perSecond(0)).isZero();
    long t = 1_000_000;
    for (int i = 0; i < 5; i++) {
      rate.add(10, t += 1000);
    }
    assertThat(rate.perSecond(t)).as("5 s old").isBetween(8.0, 12.0);
    for (int i = 0; i < 300; i++) {
      rate.add(10, t += 1000);
    }
    assertThat(rate.perSecond(t)).as("5 min old").isBetween(9.0, 11.0);
    assertThat(rate.perSecond(t + 300_000)).as("after 5 min of silence").isLessThan(0.01);
  }

  @Test
  @DisplayName("a rate change shows within a time constant")
  void followsAChange() {
    PublishedRate rate = new PublishedRate();
    long t = 0;
    for (int i = 0; i < 120; i++) {
      rate.add(2, t += 1000);
    }
    for (int i = 0; i < 90; i++) {
      rate.add(20, t += 1000);
    }
    assertThat(rate.perSecond(t)).isBetween(18.0, 21.0);
  }
}
