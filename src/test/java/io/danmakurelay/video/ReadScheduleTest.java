package io.danmakurelay.video;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ReadScheduleTest {

  @Test
  @DisplayName("a busy part is read often enough for a quarter of its pool per read, never below the floor")
  void busy() {
    ReadSchedule s = new ReadSchedule(1_000, 3_600_000, 0);
    s.onRead(1_000, 100, 1000, false);
    s.onRead(11_000, 100, 1000, false);
    // 10 new per second, a target of 250 per read: 25 s.
    assertThat(s.intervalMs()).isEqualTo(25_000);
    assertThat(s.nextReadAtMs()).isEqualTo(36_000);
    s.onRead(36_000, 25_000, 1000, false);
    assertThat(s.intervalMs()).isEqualTo(1_000);
  }

  @Test
  @DisplayName("a quiet part backs off towards the ceiling, and a gap brings it back to the floor")
  void quiet() {
    ReadSchedule s = new ReadSchedule(60_000, 3_600_000, 0);
    long now = 1;
    for (int i = 0; i < 20; i++) {
      s.onRead(now, 0, 3000, false);
      now = s.nextReadAtMs();
    }
    assertThat(s.intervalMs()).isEqualTo(3_600_000);
    s.onRead(now, 3000, 3000, true);
    assertThat(s.intervalMs()).isEqualTo(60_000);
    assertThat(s.ratePerSecond()).isGreaterThan(0);
  }

  @Test
  @DisplayName("a failure delays the next read without changing the interval")
  void failure() {
    ReadSchedule s = new ReadSchedule(60_000, 3_600_000, 5);
    assertThat(s.nextReadAtMs()).isEqualTo(5);
    s.onFailure(100, 2_000);
    assertThat(s.nextReadAtMs()).isEqualTo(2_100);
    assertThat(s.intervalMs()).isEqualTo(60_000);
  }
}
