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
    int banSeconds) {

  public static SimulatorSettings defaults(int port, int rooms, double totalRate, long seed) {
    return new SimulatorSettings("127.0.0.1", port, rooms, totalRate, 1.1, seed, 0, 60);
  }
}
