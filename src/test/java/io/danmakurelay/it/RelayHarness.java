package io.danmakurelay.it;

import io.danmakurelay.Relay;
import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Test support: the simulator as upstream, a relay pointed at it, and a real Kafka consumer to read back
 * what the relay published. Everything runs for real on loopback.
 */
final class RelayHarness implements AutoCloseable {

  final Vertx simVertx = Vertx.vertx();
  final Simulator sim;
  /** HTTP/1.1 like curl and Prometheus, and a timeout so a request that hangs fails the test instead. */
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  Relay relay;

  RelayHarness(SimulatorSettings settings) throws Exception {
    sim = Simulator.start(simVertx, settings).await(30, TimeUnit.SECONDS);
  }

  /** Config flags that point a relay at the simulator, with an embedded broker in {@code dataDir}. */
  List<String> flags(Path dataDir, String api, String... more) {
    String base = "http://127.0.0.1:" + sim.port();
    List<String> flags = new ArrayList<>(List.of(
        "kafka.dataDir=" + dataDir,
        "kafka.embeddedPort=0",
        "http.port=0",
        "upstream.api=" + api,
        "upstream.url=" + base + ("gethistory".equals(api) ? "/xlive/web-room/v1/dM/gethistory" : "/ajax/msg"),
        "upstream.roomInitUrl=" + base + "/room/v1/Room/room_init"));
    flags.addAll(List.of(more));
    return flags;
  }

  Relay startRelay(List<String> flags) throws Exception {
    RelayConfig config = ConfigLoader.load(null, Map.of(), flags);
    relay = Relay.start(config);
    return relay;
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.httpPort() + path))
            .timeout(Duration.ofSeconds(15)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.httpPort() + path))
        .timeout(Duration.ofSeconds(15))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The sum of the samples of a Prometheus metric whose labels contain {@code labels} (e.g. outcome="ok"). */
  double metric(String name, String labels) throws Exception {
    double sum = 0;
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        String series = line.substring(0, line.lastIndexOf(' '));
        if (series.contains(labels)) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return sum;
  }

  /** The sum of messages_published over /api/rooms. */
  long publishedPerApi() throws Exception {
    JsonObject rooms = new JsonObject(get("/api/rooms").body());
    long sum = 0;
    for (Object o : rooms.getJsonArray("rooms")) {
      sum += ((JsonObject) o).getLong("messages_published", 0L);
    }
    return sum;
  }

  /** The /api/rooms entry whose real id (or, unresolved, requested id) is {@code roomId}; null when absent. */
  JsonObject roomEntry(long roomId) throws Exception {
    for (Object o : new JsonObject(get("/api/rooms").body()).getJsonArray("rooms")) {
      JsonObject entry = (JsonObject) o;
      Long real = entry.getLong("room_id");
      if ((real != null && real == roomId) || entry.getLong("requested_id", -1L) == roomId) {
        return entry;
      }
    }
    return null;
  }

  /** Poll requests the simulator has served for one real room. */
  long simRequests(long realRoomId) {
    for (Object o : sim.stats().getJsonArray("rooms")) {
      if (((JsonObject) o).getLong("room_id") == realRoomId) {
        return ((JsonObject) o).getLong("requests");
      }
    }
    throw new AssertionError("the simulator has no room " + realRoomId);
  }

  /**
   * Reads the topic (read_committed) from the start until {@code expected} records arrived, then on to its
   * last stable offset as it stands then, so that records beyond the expected ones are read too.
   */
  static List<ConsumerRecord<String, byte[]>> consume(String bootstrap, String topic, long expected) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // The consumer is not thread-safe: every poll runs on the test's thread.
      try {
        Awaitility.await(expected + " records in " + topic).atMost(Duration.ofSeconds(60)).pollInSameThread()
            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> {
              consumer.poll(Duration.ofMillis(200)).forEach(out::add);
              return out.size() >= expected;
            });
      } catch (ConditionTimeoutException fewer) {
        // The caller's assertions say which records are missing, which tells more than a timeout.
      }
      // With read_committed the end offsets are the last stable ones: everything committed by now.
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Awaitility.await("the rest of " + topic + " up to " + end).atMost(Duration.ofSeconds(60)).pollInSameThread()
          .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
          });
    }
    return out;
  }

  /**
   * Reads the topic and checks it holds exactly the simulator's messages: per room and list, the same
   * messages in the same order, none twice and none missing, and every dedupe id unique.
   */
  void assertKafkaMatchesGroundTruth(String bootstrap, String topic) {
    long generated = sim.stats().getJsonObject("totals").getLong("generated");
    List<ConsumerRecord<String, byte[]>> records = consume(bootstrap, topic, generated);
    Map<String, List<String>> seen = new java.util.TreeMap<>();
    java.util.Set<String> ids = new java.util.HashSet<>();
    List<String> repeatedIds = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      JsonObject v = json(r);
      if (!ids.add(v.getString("id"))) {
        repeatedIds.add(v.getString("id"));
      }
      seen.computeIfAbsent(v.getLong("room_id") + "/" + v.getString("list"), k -> new ArrayList<>())
          .add(v.getLong("uid") + "|" + v.getString("text") + "|" + v.getString("timeline"));
    }
    Map<String, List<String>> truth = new java.util.TreeMap<>();
    for (long room : sim.roomIds()) {
      for (io.danmakurelay.sim.SimMessage m : sim.messages(room)) {
        truth.computeIfAbsent(room + "/" + m.list().wireName(), k -> new ArrayList<>())
            .add(m.uid() + "|" + m.text() + "|" + m.timeline());
      }
    }
    org.assertj.core.api.Assertions.assertThat(repeatedIds).as("ids published twice").isEmpty();
    org.assertj.core.api.Assertions.assertThat(records).as("records in Kafka").hasSize((int) generated);
    org.assertj.core.api.Assertions.assertThat(seen).isEqualTo(truth);
  }

  static JsonObject json(ConsumerRecord<String, byte[]> record) {
    return new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
  }

  static String header(ConsumerRecord<String, byte[]> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /**
   * Waits until {@code condition} holds, checking every 100 ms, failing with {@code what} after
   * {@code timeout}. An exception from the condition fails at once.
   */
  static void await(String what, Duration timeout, Check condition) {
    Awaitility.await(what).atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
        .until(condition::ok);
  }

  /** A condition that may throw (HTTP calls). */
  interface Check {
    boolean ok() throws Exception;
  }

  @Override
  public void close() throws Exception {
    if (relay != null) {
      relay.close();
    }
    sim.close().await(10, TimeUnit.SECONDS);
    simVertx.close().await(10, TimeUnit.SECONDS);
  }
}
