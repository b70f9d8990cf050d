package io.danmakurelay.web;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The relay's one Prometheus registry: the JVM and system binders plus the relay's and Vert.x's meters, with
 * names that {@code promtool check metrics} accepts. Served by {@code /metrics}.
 */
public final class RelayMetrics {

  /** Micrometer's ProcessorMetrics name: exported as {@code system_cpu_count}, a gauge promtool reads as a summary part. */
  static final String CPU_COUNT = "system.cpu.count";
  /** Exported as {@code system_cpus}: the processors available to the JVM. */
  static final String CPUS = "system.cpus";
  /** Micrometer's ProcessorMetrics counter in nanoseconds: exported as {@code process_cpu_time_ns_total}. */
  static final String CPU_TIME_NS = "process.cpu.time";

  private RelayMetrics() {
  }

  /** A registry with the promtool-clean names and every JVM and system meter bound. */
  public static PrometheusMeterRegistry createRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(promtoolNames());
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new ProcessCpuTime().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /**
   * Vert.x's meters, every domain but the HTTP client's. That domain registers or looks up six meters per request
   * (the request and response counters, byte summaries, the response timer and an active-requests gauge, each by
   * its tags) on the event loop that sends the polls: 2.3 % of the relay's samples in the pipeline benchmark's
   * profile (JFR, docs/BENCHMARKS.md, fourth pass). What it told is counted per poll by the relay's own meters
   * ({@code danmaku_polls_total{outcome}}, {@code danmaku_poll_duration_seconds}) and per push connection by
   * {@code danmaku_push_connections}; the HTTP server, event bus, net and pool domains stay.
   */
  public static MicrometerMetricsOptions vertxMetricsOptions() {
    return new MicrometerMetricsOptions().setEnabled(true).addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT);
  }

  /**
   * Prometheus' naming rules where Micrometer's binders break them: a gauge must not end in {@code _count}
   * (a summary's part), and a unit is a base unit spelled out (seconds, not ns). The CPU time is therefore
   * dropped here and exported in seconds by {@link ProcessCpuTime}: a filter renames, it cannot rescale.
   */
  static MeterFilter promtoolNames() {
    return new MeterFilter() {
      @Override
      public MeterFilterReply accept(Meter.Id id) {
        return CPU_TIME_NS.equals(id.getName()) ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
      }

      @Override
      public Meter.Id map(Meter.Id id) {
        return CPU_COUNT.equals(id.getName()) ? id.withName(CPUS) : id;
      }
    };
  }

  /**
   * {@code process_cpu_seconds_total}, the name Prometheus' own clients give the process's CPU time. Bound
   * only where the JVM reports it (HotSpot's {@code com.sun.management} bean).
   */
  static final class ProcessCpuTime implements MeterBinder {
    @Override
    public void bindTo(MeterRegistry registry) {
      OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.OperatingSystemMXBean bean && bean.getProcessCpuTime() >= 0) {
        FunctionCounter.builder("process.cpu", bean, b -> b.getProcessCpuTime() / 1e9)
            .baseUnit("seconds")
            .description("The CPU time used by the relay's JVM process")
            .register(registry);
      }
    }
  }
}
