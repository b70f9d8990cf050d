package io.danmakurelay.sim;

/**
 * The simulator's knobs (the {@code simulate} command's flags). The first eight components are the
 * original contract; the rest tune the traffic model and have defaults in {@link #defaults}.
 *
 * @param host              address to bind
 * @param port              port to bind (0: any free port)
 * @param rooms             number of rooms; real ids are {@code 1_000_001 + i}
 * @param totalRate         messages per second over all rooms together
 * @param zipf              Zipf exponent of the per-room rates (room 1 busiest)
 * @param seed              seed of every random choice, so a run can be reproduced
 * @param rateLimit         requests per second above which the simulator answers HTTP 412 (0: never)
 * @param banSeconds        how long a ban lasts once triggered
 * @param repeatProbability chance that a viewer sends the same text again in the same second
 * @param adminFraction     fraction of messages sent by room admins (the {@code admin} list)
 * @param shortIdRooms      the first this-many rooms get short ids 1, 2, 3, ...
 * @param messageCap        generated messages kept in memory for {@code /sim/stats?messages=true}
 */
public record SimulatorSettings(
    String host,
    int port,
    int rooms,
    double totalRate,
    double zipf,
    long seed,
    double rateLimit,
    int banSeconds,
    double repeatProbability,
    double adminFraction,
    int shortIdRooms,
    int messageCap) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final double DEFAULT_ZIPF = 1.1;
  public static final int DEFAULT_BAN_SECONDS = 60;
  public static final double DEFAULT_REPEAT_PROBABILITY = 0.05;
  public static final double DEFAULT_ADMIN_FRACTION = 0.03;
  public static final int DEFAULT_SHORT_ID_ROOMS = 10;
  public static final int DEFAULT_MESSAGE_CAP = 2_000_000;

  public SimulatorSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    if (rooms < 1) {
      throw new IllegalArgumentException("rooms must be at least 1, got " + rooms);
    }
    if (!(totalRate >= 0) || Double.isInfinite(totalRate)) {
      throw new IllegalArgumentException("totalRate must be a finite number >= 0, got " + totalRate);
    }
    if (!(zipf >= 0) || Double.isInfinite(zipf)) {
      throw new IllegalArgumentException("zipf must be a finite number >= 0, got " + zipf);
    }
    if (!(rateLimit >= 0)) {
      throw new IllegalArgumentException("rateLimit must be >= 0 (0: off), got " + rateLimit);
    }
    if (banSeconds < 0) {
      throw new IllegalArgumentException("banSeconds must be >= 0, got " + banSeconds);
    }
    if (!(repeatProbability >= 0 && repeatProbability < 1)) {
      throw new IllegalArgumentException("repeatProbability must be in [0, 1), got " + repeatProbability);
    }
    if (!(adminFraction >= 0 && adminFraction <= 1)) {
      throw new IllegalArgumentException("adminFraction must be in [0, 1], got " + adminFraction);
    }
    if (shortIdRooms < 0) {
      throw new IllegalArgumentException("shortIdRooms must be >= 0, got " + shortIdRooms);
    }
    if (messageCap < 0) {
      throw new IllegalArgumentException("messageCap must be >= 0, got " + messageCap);
    }
  }

  /** The original eight-component form; the traffic-model knobs take their defaults. */
  public SimulatorSettings(
      String host, int port, int rooms, double totalRate, double zipf, long seed, double rateLimit, int banSeconds) {
    this(host, port, rooms, totalRate, zipf, seed, rateLimit, banSeconds,
        DEFAULT_REPEAT_PROBABILITY, DEFAULT_ADMIN_FRACTION, DEFAULT_SHORT_ID_ROOMS, DEFAULT_MESSAGE_CAP);
  }

  /** Loopback, Zipf 1.1, no rate limit, 60 s bans, 5 % repeats, 3 % admins, 10 short ids, 2 M messages kept. */
  public static SimulatorSettings defaults(int port, int rooms, double totalRate, long seed) {
    return new SimulatorSettings(DEFAULT_HOST, port, rooms, totalRate, DEFAULT_ZIPF, seed, 0, DEFAULT_BAN_SECONDS);
  }

  public SimulatorSettings withRateLimit(double newRateLimit, int newBanSeconds) {
    return new SimulatorSettings(host, port, rooms, totalRate, zipf, seed, newRateLimit, newBanSeconds,
        repeatProbability, adminFraction, shortIdRooms, messageCap);
  }

  public SimulatorSettings withTraffic(double newRepeatProbability, double newAdminFraction) {
    return new SimulatorSettings(host, port, rooms, totalRate, zipf, seed, rateLimit, banSeconds,
        newRepeatProbability, newAdminFraction, shortIdRooms, messageCap);
  }
}
