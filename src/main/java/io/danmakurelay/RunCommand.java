package io.danmakurelay;

import io.danmakurelay.config.ConfigException;
import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code run}: loads the configuration, starts the relay (and with --demo the simulator) until stopped. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Runs the relay. With no kafka.bootstrapServers it starts an embedded Kafka broker.")
final class RunCommand implements Callable<Integer> {

  private static final int DEMO_ROOMS = 12;

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Config file (JSON). Default: conf/config.json when it exists.")
  Path configFile;

  @Option(names = "--room", paramLabel = "ID", description = "A room to follow (short or real id); repeatable. "
      + "Replaces the configured rooms.")
  List<String> rooms = new ArrayList<>();

  @Option(names = "--video", paramLabel = "ID", description = "A video to follow (av170001, 170001, BV1xx411c7mD, "
      + "ep114928); repeatable. Replaces the configured videos.")
  List<String> videos = new ArrayList<>();

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Overrides one config key, e.g. --set kafka.topic=danmaku; repeatable.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--demo", description = "Starts the built-in simulator and points the relay at it.")
  boolean demo;

  @Override
  public Integer call() throws Exception {
    List<String> flags = new ArrayList<>(overrides);
    if (!rooms.isEmpty()) {
      flags.add("rooms=" + String.join(",", rooms));
    }
    if (!videos.isEmpty()) {
      flags.add("videos=" + String.join(",", videos));
    }
    Path file = configFile;
    if (file == null && Files.isRegularFile(Path.of("conf", "config.json"))) {
      file = Path.of("conf", "config.json");
    }
    RelayConfig config;
    try {
      config = ConfigLoader.load(file, System.getenv(), flags);
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("config error: " + e.getMessage());
      return 2;
    }
    Logging.configure(config.log().format());
    Logger log = LoggerFactory.getLogger(RunCommand.class);

    Vertx simVertx = null;
    if (demo) {
      simVertx = Vertx.vertx();
      Simulator simulator = Simulator.start(simVertx, SimulatorSettings.defaults(0, DEMO_ROOMS, 8.0, 42))
          .await(30, TimeUnit.SECONDS);
      String base = "http://127.0.0.1:" + simulator.port();
      List<String> demoFlags = new ArrayList<>(flags);
      demoFlags.add("upstream.url=" + base + (config.upstream().modernApi()
          ? "/xlive/web-room/v1/dM/gethistory" : "/ajax/msg"));
      demoFlags.add("upstream.roomInitUrl=" + base + "/room/v1/Room/room_init");
      demoFlags.addAll(Simulator.videoUrlFlags(base));
      if (config.videos().isEmpty()) {
        demoFlags.add("videos=" + Simulator.DEMO_VIDEO);
      }
      if (config.rooms().isEmpty()) {
        StringBuilder ids = new StringBuilder("rooms=");
        for (int i = 0; i < DEMO_ROOMS; i++) {
          ids.append(i == 0 ? "" : ",").append(1_000_001 + i);
        }
        demoFlags.add(ids.toString());
      }
      config = ConfigLoader.load(file, System.getenv(), demoFlags);
      log.info("demo: simulator with {} rooms on {}", DEMO_ROOMS, base);
    }

    Relay relay;
    try {
      relay = Relay.start(config);
    } catch (Exception e) {
      log.error("the relay could not start: {}", e.getMessage());
      if (simVertx != null) {
        simVertx.close();
      }
      return 1;
    }
    log.info("relay running: dashboard http://{}:{}/ , Kafka {} topic {}", config.http().host(), relay.httpPort(),
        relay.bootstrapServers(), config.kafka().topic());
    CountDownLatch stopped = new CountDownLatch(1);
    Vertx sim = simVertx;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping: delivering buffered messages to Kafka");
      relay.close();
      if (sim != null) {
        sim.close();
      }
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }
}
