package io.danmakurelay.sim;

import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code simulate} command: runs the stand-in Bilibili until the JVM is stopped. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    versionProvider = io.danmakurelay.Main.Version.class,
    description = {
        "Runs a stand-in Bilibili on loopback: ajax/msg, gethistory and room_init for N simulated rooms, "
            + "Poisson traffic with Zipf-distributed rates, risk control (HTTP 412 above --rate-limit), "
            + "GET /sim/stats (the ground truth) and POST /sim/control (rates, bans, faults, pause/resume).",
        "Real room ids are 1000001, 1000002, ... (busiest first); the first --short-id-rooms rooms also "
            + "resolve from short ids 1, 2, 3, ... through room_init."})
public final class SimulateCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(SimulateCommand.class);

  @Spec
  CommandSpec spec;

  @Option(names = "--host", defaultValue = SimulatorSettings.DEFAULT_HOST, description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8090", description = "Port to bind, 0 for any free port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--rooms", defaultValue = "100", description = "Number of rooms (default: ${DEFAULT-VALUE}).")
  int rooms;

  @Option(names = "--total-rate", defaultValue = "50", description = "Messages per second over all rooms (default: ${DEFAULT-VALUE}).")
  double totalRate;

  @Option(names = "--zipf", defaultValue = "1.1", description = "Zipf exponent of the per-room rates (default: ${DEFAULT-VALUE}).")
  double zipf;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--rate-limit", defaultValue = "0", description = "Requests per second above which a ban starts, 0 for none (default: ${DEFAULT-VALUE}).")
  double rateLimit;

  @Option(names = "--ban-seconds", defaultValue = "60", description = "Length of a ban (default: ${DEFAULT-VALUE}).")
  int banSeconds;

  @Option(names = "--repeat-probability", defaultValue = "0.05", description = "Chance that a viewer resends the same text in the same second (default: ${DEFAULT-VALUE}).")
  double repeatProbability;

  @Option(names = "--admin-fraction", defaultValue = "0.03", description = "Fraction of messages sent by room admins (default: ${DEFAULT-VALUE}).")
  double adminFraction;

  @Option(names = "--short-id-rooms", defaultValue = "10", description = "How many rooms get short ids 1..K (default: ${DEFAULT-VALUE}).")
  int shortIdRooms;

  @Option(names = "--message-cap", defaultValue = "2000000", description = "Generated messages kept for /sim/stats?messages=true (default: ${DEFAULT-VALUE}).")
  int messageCap;

  /** The settings the flags describe; IllegalArgumentException naming the setting when one is invalid. */
  SimulatorSettings settings() {
    return new SimulatorSettings(host, port, rooms, totalRate, zipf, seed, rateLimit, banSeconds,
        repeatProbability, adminFraction, shortIdRooms, messageCap);
  }

  @Override
  public Integer call() throws Exception {
    SimulatorSettings settings;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "simulate: invalid option: " + e.getMessage());
    }
    Vertx vertx = Vertx.vertx();
    Simulator simulator;
    try {
      simulator = Simulator.start(vertx, settings).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.error("simulate: could not start on {}:{}: {}", host, port, e.getMessage());
      vertx.close().await(10, TimeUnit.SECONDS);
      return 1;
    }
    log.info("simulator listening on http://{}:{} ({} rooms, {} msg/s, zipf {}, seed {}, rate limit {}/s, ban {} s)",
        host, simulator.port(), rooms, totalRate, zipf, seed, rateLimit == 0 ? "off" : rateLimit, banSeconds);
    log.info("try: curl 'http://{}:{}/xlive/web-room/v1/dM/gethistory?roomid={}&room_type=0' or /sim/stats",
        host, simulator.port(), TrafficModel.FIRST_REAL_ID);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        simulator.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("simulate: shutdown did not finish cleanly: {}", e.getMessage());
      } finally {
        stopped.countDown();
      }
    }, "simulator-shutdown"));
    stopped.await();
    return 0;
  }
}
