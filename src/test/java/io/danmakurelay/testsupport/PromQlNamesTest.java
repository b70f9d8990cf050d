package io.danmakurelay.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PromQlNamesTest {

  @Test
  @DisplayName("functions, label matchers, ranges, grouping labels and Grafana variables are not metric names")
  void onlyMetricNames() {
    assertThat(PromQlNames.of("histogram_quantile(0.99, sum by (le) (rate(danmaku_poll_duration_seconds_bucket"
        + "{instance=~\"$instance\"}[$__rate_interval])))")).containsExactly("danmaku_poll_duration_seconds_bucket");
    assertThat(PromQlNames.of("sum(rate(danmaku_polls_total{outcome!=\"ok\"}[5m]))\n"
        + "  / sum(rate(danmaku_polls_total[5m])) > 0.5")).containsExactly("danmaku_polls_total");
    assertThat(PromQlNames.of("up{job=\"danmaku-relay\"} == 0")).containsExactly("up");
    assertThat(PromQlNames.of("sum by (id) (jvm_memory_used_bytes{area=\"heap\"}) / on (instance) group_left "
        + "jvm_memory_max_bytes offset 5m"))
        .containsExactly("jvm_memory_max_bytes", "jvm_memory_used_bytes");
  }

  @Test
  @DisplayName("a name inside a label value or a string is not read as a metric")
  void stringsIgnored() {
    assertThat(PromQlNames.of("label_replace(danmaku_rooms, \"x\", \"not_a_metric\", \"state\", \"(.*)\")"))
        .containsExactly("danmaku_rooms");
  }
}
