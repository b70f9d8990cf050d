package io.danmakurelay.poll;

/** A read-only view of one room's schedule, for the room API, the dashboard and the metrics. */
public record RoomSchedule(
    long roomId,
    RoomState state,
    long intervalMs,
    long lastPollAtMs,
    long nextPollAtMs,
    long backoffUntilMs,
    int consecutiveFailures,
    double estimatedRatePerSecond) {}
