package io.danmakurelay.poll;

/**
 * The scheduler's knobs, taken from the {@code upstream}, {@code poll} and {@code backoff} config keys.
 *
 * @param strategy          "adaptive" or "fixed"
 * @param requestsPerSecond the global budget: all requests together, never exceeded
 */
public record SchedulerSettings(
    String strategy,
    double requestsPerSecond,
    long intervalMs,
    long minIntervalMs,
    long maxIntervalMs,
    long backoffInitialMs,
    long backoffMaxMs) {}
