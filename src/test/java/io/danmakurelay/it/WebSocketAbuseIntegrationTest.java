package io.danmakurelay.it;

import io.danmakurelay.web.Endpoints;
import io.danmakurelay.testsupport.WsProbe;
import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Abuse of the whole relay's /ws (not the fan-out alone, which FanoutTest covers): floods of bad frames,
 * oversized frames, too many rooms, and hundreds of clients that never read while messages flow.
 */
class WebSocketAbuseIntegrationTest {

  private static final long ROOM = 1000001;

  @TempDir
  static Path dir;
  static RelayHarness h;
  static Vertx clientVertx;
  static WebSocketClient client;

  @BeforeAll
  static void start() throws Exception {
    h = new RelayHarness(SimulatorSettings.defaults(0, 2, 2.0, 3));
    h.startRelay(h.flags(dir.resolve("kafka"), "ajax-msg", "rooms=" + ROOM, "poll.strategy=fixed"));
    clientVertx = Vertx.vertx();
    client = clientVertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(4 * 1024 * 1024)
        .setMaxConnections(1000));
  }

  @AfterAll
  static void stop() throws Exception {
    if (clientVertx != null) {
      clientVertx.close().await(10, TimeUnit.SECONDS);
    }
    if (h != null) {
      h.close();
    }
  }

  private static WsProbe connect() {
    return WsProbe.await(WsProbe.connect(client, h.relay.httpPort(), Endpoints.WS));
  }

  /** The relay still serves a new client after the abuse. */
  private static void assertStillServing() {
    WsProbe fresh = connect();
    fresh.sendText("{\"op\":\"ping\"}");
    assertThat(fresh.next().getString("op")).isEqualTo("pong");
    fresh.close();
  }

  @Test
  @DisplayName("1,000 malformed frames in a burst get error frames until the flood limit closes the connection "
      + "with 1008; every reply was an error and the relay serves the next client")
  void malformedFlood() throws Exception {
    double badBefore = h.metric("danmaku_ws_bad_frames_total", "");
    WsProbe abuser = connect();
    List<Future<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      writes.add(abuser.ws.writeTextMessage(i % 2 == 0 ? "{not json" : "{\"op\":\"dance\"}"));
    }
    Future.join(writes).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(abuser.awaitClose()).isEqualTo((short) 1008);
    List<JsonObject> replies = new ArrayList<>(abuser.received);
    assertThat(replies).allSatisfy(r -> {
      assertThat(r.getString("op")).isEqualTo("error");
      assertThat(r.getString("error")).isNotBlank();
    });
    // The burst allowance (100 frames) is answered, far from all 1,000.
    assertThat(replies.size()).isBetween(50, 500);
    await("bad frames counted", Duration.ofSeconds(5),
        () -> h.metric("danmaku_ws_bad_frames_total", "") - badBefore >= replies.size());
    assertThat(h.metric("danmaku_ws_disconnects_total", "reason=\"flood\"")).isGreaterThanOrEqualTo(1);
    assertStillServing();
  }

  @Test
  @DisplayName("a 70 KiB message (one frame or fragmented) and a 1 MiB frame close the connection with 1009")
  void oversizedFrames() {
    String big = "{\"op\":\"ping\",\"pad\":\"" + "x".repeat(70 * 1024) + "\"}";
    WsProbe single = connect();
    single.sendText(big);
    assertThat(single.awaitClose()).isEqualTo((short) 1009);

    WsProbe fragmented = connect();
    WsProbe.await(fragmented.ws.writeFrame(WebSocketFrame.textFrame(big.substring(0, 40_000), false)));
    WsProbe.await(fragmented.ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(big.substring(40_000)), true)));
    assertThat(fragmented.awaitClose()).isEqualTo((short) 1009);

    // A message far over the server's frame bound: the server closes while the client is still writing it, so
    // the client's write may fail (broken pipe) and the kernel's reset may destroy the 1009 close frame in
    // flight (the client then reports 1006, abnormal closure, or no code at all). Only the end of the connection
    // is certain; what matters is that it ends and the relay serves on.
    WsProbe huge = connect();
    huge.ws.writeTextMessage("{\"op\":\"ping\",\"pad\":\"" + "y".repeat(1024 * 1024) + "\"}");
    assertThat(huge.awaitClose()).isIn((short) 1009, (short) 1006, (short) -1);
    assertStillServing();
  }

  @Test
  @DisplayName("10,000 room subscriptions on one connection are refused beyond the per-connection limit with error "
      + "frames, in one frame or in many, and the connection keeps working")
  void tooManyRooms() throws Exception {
    WsProbe greedy = connect();
    JsonObject oneFrame = greedy.subscribe(LongStream.rangeClosed(1, 10_000).boxed().toList());
    assertThat(oneFrame.getString("op")).isEqualTo("error");
    assertThat(oneFrame.getString("error")).contains("too many rooms");

    JsonObject first = greedy.subscribe(LongStream.range(2_000_000, 2_001_000).boxed().toList());
    assertThat(first.getString("op")).isEqualTo("subscribed");
    assertThat(first.getJsonArray("rooms")).hasSize(1000);
    for (int batch = 1; batch < 10; batch++) {
      long from = 2_000_000 + batch * 1000L;
      JsonObject reply = greedy.subscribe(LongStream.range(from, from + 1000).boxed().toList());
      assertThat(reply.getString("op")).as("batch %d", batch).isEqualTo("error");
      assertThat(reply.getString("error")).contains("too many rooms");
    }
    greedy.sendText("{\"op\":\"ping\"}");
    assertThat(greedy.next().getString("op")).isEqualTo("pong");
    greedy.close();
  }

  @Test
  @DisplayName("500 connections that never read are cut off while messages flow; a reading client gets every "
      + "message in seq order without a gap, and the relay's heap stays bounded")
  void nonReadersCutOff() throws Exception {
    double slowBefore = h.metric("danmaku_ws_disconnects_total", "reason=\"slow\"");
    long heapBefore = usedHeapAfterGc();
    long room = 3_000_001;
    WsProbe reader = connect();
    assertThat(reader.subscribe(List.of(room)).getString("op")).isEqualTo("subscribed");
    WebSocketClient smallBuffers = clientVertx.createWebSocketClient(new WebSocketClientOptions()
        .setReceiveBufferSize(8 * 1024).setMaxConnections(1000));
    List<WsProbe> stalled = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      WsProbe c = WsProbe.await(WsProbe.connect(smallBuffers, h.relay.httpPort(), Endpoints.WS));
      c.sendText("{\"op\":\"subscribe\",\"rooms\":[" + room + "]}");
      stalled.add(c);
    }
    for (WsProbe c : stalled) {
      assertThat(c.next().getString("op")).isEqualTo("subscribed");
      // Whatever it reads when closed at the end is dropped: the heap measured is the relay's, not the test's.
      c.ws.textMessageHandler(ignored -> { });
      c.ws.pause();
    }
    await("501 connections open", Duration.ofSeconds(10), () -> h.metric("danmaku_ws_connections", "") == 501);

    // Messages reach the fan-out the way the relay's own do: as records committed to the danmaku topic.
    String padding = "z".repeat(8 * 1024);
    long published = 0;
    List<Long> seqs = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, h.relay.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 0),
        new StringSerializer(), new ByteArraySerializer())) {
      while (h.metric("danmaku_ws_disconnects_total", "reason=\"slow\"") - slowBefore < 500 && published < 5_000) {
        for (int i = 0; i < 20; i++) {
          published++;
          producer.send(new ProducerRecord<>("danmaku", Long.toString(room), new JsonObject().put("room_id", room)
              .put("seq", published).put("text", padding).toBuffer().getBytes()));
        }
        producer.flush();
        for (int i = 0; i < 20; i++) {
          seqs.add(reader.next().getLong("seq"));
        }
      }
    }
    assertThat(h.metric("danmaku_ws_disconnects_total", "reason=\"slow\"") - slowBefore).isEqualTo(500);
    await("only the reader left", Duration.ofSeconds(10), () -> h.metric("danmaku_ws_connections", "") == 1);
    assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, published).boxed().toList());
    long heapAtCutOff = usedHeapAfterGc();
    // Client and relay share this JVM. The fan-out's bound is ~maxPendingBytes (1 MiB) per connection, so at
    // most ~500 MiB; buffering without bound would hold 500 x everything published (about 2 GB here).
    // Measured: about +100 MiB.
    assertThat(heapAtCutOff - heapBefore).as("heap growth at the cut-off, bytes").isLessThan(512L * 1024 * 1024);
    for (WsProbe c : stalled) {
      c.close();
    }
    reader.close();
    await("every connection gone", Duration.ofSeconds(10), () -> h.metric("danmaku_ws_connections", "") == 0);
    // Nothing of the 501 connections stays behind (measured: about +20 MiB, broker and JIT churn included).
    assertThat(usedHeapAfterGc() - heapBefore).as("heap growth once they are gone, bytes")
        .isLessThan(64L * 1024 * 1024);
  }

  private static long usedHeapAfterGc() {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
