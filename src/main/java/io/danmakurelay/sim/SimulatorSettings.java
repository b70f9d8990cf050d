package io.danmakurelay.sim;

/**
 * The simulator's knobs (the {@code simulate} command's flags).
 *
 * @param rateLimit  requests per second above which the simulator answers HTTP 412 (0: never)
 * @param banSeconds how long a ban lasts once triggered
 */
public record SimulatorSettings(
    String host,
    int port,
    int rooms,
    double totalRate,
    double zipf,
    long seed,
    double rateLimit,
    int banSeconds) {}
