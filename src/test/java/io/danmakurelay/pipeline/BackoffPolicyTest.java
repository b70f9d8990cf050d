package io.danmakurelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BackoffPolicyTest {

  private final BackoffPolicy policy = new BackoffPolicy(2000, 300_000);

  @Test
  @DisplayName("The ceiling doubles per consecutive failure from 2*initial and stops at max")
  void ceilingDoubles() {
    assertThat(policy.ceilingMs(1)).isEqualTo(4000);
    assertThat(policy.ceilingMs(2)).isEqualTo(8000);
    assertThat(policy.ceilingMs(7)).isEqualTo(256_000);
    assertThat(policy.ceilingMs(8)).isEqualTo(300_000);
    assertThat(policy.ceilingMs(1000)).isEqualTo(300_000);
    assertThat(policy.ceilingMs(Integer.MAX_VALUE)).isEqualTo(300_000);
  }

  @Test
  @DisplayName("Every delay lies in [max(initial, ceiling/2), ceiling], and the jitter covers that whole range")
  void delaysWithinBoundsAndJittered() {
    SplittableRandom random = new SplittableRandom(11);
    for (int failures = 1; failures <= 12; failures++) {
      long ceiling = policy.ceilingMs(failures);
      long floor = Math.max(2000, ceiling / 2);
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      for (int i = 0; i < 2000; i++) {
        long delay = policy.delayMs(failures, random);
        min = Math.min(min, delay);
        max = Math.max(max, delay);
      }
      assertThat(min).as("failures %d", failures).isGreaterThanOrEqualTo(floor).isLessThan(floor + (ceiling - floor) / 20 + 1);
      assertThat(max).as("failures %d", failures).isLessThanOrEqualTo(ceiling).isGreaterThan(ceiling - (ceiling - floor) / 20 - 1);
      assertThat(min).isGreaterThanOrEqualTo(2000);
      assertThat(max).isLessThanOrEqualTo(300_000);
    }
  }

  @Test
  @DisplayName("With initial equal to max every delay is max, and bad bounds are refused")
  void degenerateBounds() {
    BackoffPolicy flat = new BackoffPolicy(5000, 5000);
    assertThat(flat.delayMs(1, new SplittableRandom(1))).isEqualTo(5000);
    assertThat(flat.delayMs(9, new SplittableRandom(1))).isEqualTo(5000);
    assertThatThrownBy(() -> new BackoffPolicy(0, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BackoffPolicy(10, 5)).isInstanceOf(IllegalArgumentException.class);
  }
}
