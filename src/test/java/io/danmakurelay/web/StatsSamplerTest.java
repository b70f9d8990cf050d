package io.danmakurelay.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Against the registry the relay uses, with meters built as the sink and the poller build theirs. */
@DisplayName("The stats sampler")
class StatsSamplerTest {

  @Test
  @DisplayName("reads published messages, polls of every outcome, gaps, duplicates and the publish-delay "
      + "histogram of a Prometheus registry into per-interval figures")
  void readsTheRelaysMeters() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter published = Counter.builder(StatsSampler.PUBLISHED).register(registry);
    Counter ok = Counter.builder(StatsSampler.POLLS).tag("outcome", "ok").register(registry);
    Counter limited = Counter.builder(StatsSampler.POLLS).tag("outcome", "rate_limited").register(registry);
    Counter gaps = Counter.builder(StatsSampler.GAPS).register(registry);
    Counter duplicates = Counter.builder(StatsSampler.DUPLICATES).register(registry);
    Timer delay = Timer.builder(StatsSampler.PUBLISH_DELAY).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(5))
        .register(registry);
    AtomicLong risk = new AtomicLong();
    Gauge.builder(StatsSampler.RISK_CONTROL, risk, AtomicLong::get).register(registry);
    AtomicLong now = new AtomicLong(1_000_000);
    StatsSampler sampler = new StatsSampler(registry, 5.0, 5000, 120, now::get);

    for (int i = 0; i < 100; i++) {
      delay.record(5000, TimeUnit.MILLISECONDS);
    }
    sampler.sampleNow();
    published.increment(50);
    ok.increment(20);
    limited.increment(5);
    gaps.increment(2);
    duplicates.increment(30);
    for (int i = 0; i < 100; i++) {
      delay.record(200, TimeUnit.MILLISECONDS);
    }
    risk.set(1);
    now.addAndGet(5000);
    sampler.sampleNow();

    JsonObject stats = sampler.toJson();
    assertThat(stats.getDouble("budget_per_second")).isEqualTo(5.0);
    assertThat(stats.getLong("window_ms")).isEqualTo(600_000L);
    assertThat(stats.getJsonArray("samples")).hasSize(1);
    JsonObject s = stats.getJsonArray("samples").getJsonObject(0);
    assertThat(s.getLong("at")).isEqualTo(1_005_000L);
    assertThat(s.getDouble("messages_per_second")).isEqualTo(10.0);
    assertThat(s.getDouble("requests_per_second")).isEqualTo(5.0);
    assertThat(s.getLong("gaps")).isEqualTo(2);
    assertThat(s.getLong("duplicates_dropped")).isEqualTo(30);
    assertThat(s.getLong("delays_recorded")).isEqualTo(100);
    // Only this interval's delays (all 200 ms) count, not the 5 s ones recorded before the baseline; the
    // histogram's buckets around 200 ms bound the error.
    assertThat(s.getDouble("publish_delay_p50_ms")).isCloseTo(200.0, within(40.0));
    assertThat(s.getDouble("publish_delay_p99_ms")).isCloseTo(200.0, within(40.0));
    assertThat(s.getBoolean("risk_control")).isTrue();
  }

  @Test
  @DisplayName("reads zeros and no delay from a registry whose stages have not registered their meters yet")
  void missingMeters() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicLong now = new AtomicLong(0);
    StatsSampler sampler = new StatsSampler(registry, 5.0, 1000, 10, now::get);
    sampler.sampleNow();
    now.addAndGet(1000);
    sampler.sampleNow();
    JsonObject s = sampler.toJson().getJsonArray("samples").getJsonObject(0);
    assertThat(s.getDouble("messages_per_second")).isZero();
    assertThat(s.getValue("publish_delay_p50_ms")).isNull();
  }
}
