package io.danmakurelay.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one) on loopback, for the relay's
 * embedded mode and the integration tests. Storage is formatted on first start and reused after.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int PORT_SEARCH = 100;

  private final KafkaRaftServer server;
  private final int port;

  private EmbeddedKafka(KafkaRaftServer server, int port) {
    this.server = server;
    this.port = port;
  }

  /**
   * Formats {@code dataDir} if needed and starts the broker; blocks until it answers.
   *
   * @param preferredPort the broker port; when taken, the next free one is used (0: any free port)
   */
  public static EmbeddedKafka start(Path dataDir, int preferredPort) throws IOException {
    Path logDir = dataDir.toAbsolutePath().resolve("logs");
    Files.createDirectories(logDir);
    int brokerPort = freePort(preferredPort);
    int controllerPort = freePort(0);
    Properties props = brokerProperties(logDir, brokerPort, controllerPort);
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(dataDir.toAbsolutePath(), props);
    }
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
    try {
      server.startup();
    } catch (RuntimeException e) {
      throw new IOException("embedded Kafka did not start in " + dataDir + ": " + e.getMessage(), e);
    }
    EmbeddedKafka kafka = new EmbeddedKafka(server, brokerPort);
    kafka.awaitReady();
    log.info("embedded Kafka broker listening on {} (data in {})", kafka.bootstrapServers(), dataDir);
    return kafka;
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Stops the broker and waits for it; its storage stays for the next start. */
  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    log.info("embedded Kafka broker on port {} stopped", port);
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000))) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IOException("embedded Kafka on " + bootstrapServers() + " did not become ready", e);
          }
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for embedded Kafka", e);
        }
      }
    }
  }

  private static Properties brokerProperties(Path logDir, int brokerPort, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    // A single node can only hold one replica of everything, internal topics included.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("min.insync.replicas", "1");
    p.put("default.replication.factor", "1");
    p.put("num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "true");
    return p;
  }

  private static void format(Path dataDir, Properties props) throws IOException {
    Path propsFile = dataDir.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(propsFile)) {
      props.store(out, "embedded danmaku-relay broker (ports are chosen at each start)");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int rc;
    try (PrintStream printer = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      rc = StorageTool.execute(new String[] {
          "format", "-t", Uuid.randomUuid().toString(), "-c", propsFile.toString()}, printer);
    } catch (RuntimeException e) {
      throw new IOException("formatting Kafka storage in " + dataDir + " failed: " + e.getMessage(), e);
    }
    if (rc != 0) {
      throw new IOException("formatting Kafka storage in " + dataDir + " failed: "
          + output.toString(StandardCharsets.UTF_8).trim());
    }
    log.info("formatted embedded Kafka storage in {}", dataDir);
  }

  /** The preferred port if it is free, else the next free one above it (0: any free port). */
  static int freePort(int preferred) throws IOException {
    if (preferred == 0) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      }
    }
    for (int candidate = preferred; candidate < preferred + PORT_SEARCH && candidate <= 65535; candidate++) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true); // as Kafka binds: a port in TIME_WAIT after our own restart is free
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), candidate), 1);
        return candidate;
      } catch (IOException taken) {
        log.debug("port {} is taken, trying the next", candidate);
      }
    }
    throw new IOException("no free port in " + preferred + ".." + (preferred + PORT_SEARCH - 1));
  }
}
