package io.danmakurelay.fanout;

import io.danmakurelay.web.Endpoints;
import io.danmakurelay.testsupport.RawWebSocket;
import io.danmakurelay.testsupport.WsProbe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.danmakurelay.pipeline.CommittedRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Fanout over a real WebSocket")
class FanoutTest {
  private static final long ROOM = 21452505L;
  private static final long OTHER_ROOM = 7734200L;
  private static final FanoutSettings OPEN = new FanoutSettings(1000, "", List.of());

  private Vertx vertx;
  private WebSocketClient client;
  private FanoutServer server;
  private final List<WsProbe> probes = new ArrayList<>();
  private final java.util.Map<Long, Long> lastSeq = new java.util.HashMap<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient();
  }

  @AfterEach
  void tearDown() {
    probes.forEach(WsProbe::close);
  }

  private void startServer(FanoutSettings settings) {
    server = FanoutServer.start(vertx, settings, FanoutLimits.DEFAULTS);
  }

  private WsProbe connect() {
    return connect(Endpoints.WS);
  }

  private WsProbe connect(String uri) {
    WsProbe probe = WsProbe.open(client, server.port(), uri);
    probes.add(probe);
    return probe;
  }

  private static JsonObject record(long room, String text, long seq) {
    return new JsonObject().put("room_id", room).put("id", text).put("list", "room").put("uid", 1)
        .put("nickname", "n").put("text", text).put("ts", 1764388800000L).put("seq", seq);
  }

  /** Publishes the texts as the room's next seqs, as the pipeline numbers them. */
  private void publish(long room, String... texts) {
    for (String text : texts) {
      server.fanout.publish(room, record(room, text, lastSeq.merge(room, 1L, Long::sum)));
    }
  }

  private static CommittedRecord committed(long room, long seq, String text) {
    return new CommittedRecord(CommittedRecord.Kind.DANMAKU, room, seq, record(room, text, seq).toBuffer().getBytes());
  }

  private static CommittedRecord event(long room, String cmd) {
    return new CommittedRecord(CommittedRecord.Kind.EVENT, room, 0, new JsonObject().put("room_id", room)
        .put("cmd", cmd).put("ts", 1L).put("fetched_at", 2L).put("raw", new JsonObject().put("cmd", cmd))
        .toBuffer().getBytes());
  }

  private void deliver(CommittedRecord... records) {
    WsProbe.await(server.fanout.deliver(List.of(records)));
  }

  private static JsonObject subscribeWithSince(long room, long since) {
    return new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(room))
        .put("since", new JsonObject().put(Long.toString(room), since));
  }

  private static List<Long> seqs(List<JsonObject> frames) {
    return frames.stream().map(f -> f.getLong("seq")).toList();
  }

  @Test
  @DisplayName("a subscriber gets every live message of its rooms, seq rising by 1 per room from 1")
  void liveDelivery() {
    startServer(OPEN);
    WsProbe probe = connect();
    assertThat(probe.subscribe(ROOM, OTHER_ROOM))
        .isEqualTo(new JsonObject().put("op", "subscribed").put("rooms", new JsonArray().add(OTHER_ROOM).add(ROOM)));

    publish(ROOM, "a1", "a2");
    publish(OTHER_ROOM, "b1");
    publish(ROOM, "a3");

    List<JsonObject> frames = probe.next(4);
    assertThat(frames).allSatisfy(f -> assertThat(f.getString("op")).isEqualTo("danmaku"));
    assertThat(frames.stream().filter(f -> f.getLong("room_id") == ROOM).toList())
        .extracting(f -> f.getLong("seq"), f -> f.getJsonObject("msg").getString("text"))
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "a1"), org.assertj.core.groups.Tuple.tuple(2L, "a2"),
            org.assertj.core.groups.Tuple.tuple(3L, "a3"));
    JsonObject other = frames.stream().filter(f -> f.getLong("room_id") == OTHER_ROOM).findFirst().orElseThrow();
    assertThat(other.getLong("seq")).isEqualTo(1L);
    assertThat(other.getJsonObject("msg")).isEqualTo(record(OTHER_ROOM, "b1", 1));
    // The counter is the server's: read it once the server has done its writes, not when the client has them.
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(server.counter("danmaku.ws.messages.sent")).isEqualTo(4.0));
    assertThat(server.registry.get("danmaku.ws.connections").gauge().value()).isEqualTo(1.0);
  }

  @Test
  @DisplayName("subscribing without since gets only messages published after the subscription")
  void noSinceMeansLiveOnly() {
    startServer(OPEN);
    publish(ROOM, "old1", "old2");
    WsProbe probe = connect();
    probe.subscribe(ROOM);
    publish(ROOM, "new");
    JsonObject frame = probe.next();
    assertThat(frame.getLong("seq")).isEqualTo(3L);
    assertThat(frame.getJsonObject("msg").getString("text")).isEqualTo("new");
    assertThat(probe.drainUntilPong()).isEmpty();
  }

  @Test
  @DisplayName("unsubscribing stops delivery and the reply lists what is left")
  void unsubscribe() {
    startServer(OPEN);
    WsProbe probe = connect();
    probe.subscribe(ROOM, OTHER_ROOM);
    probe.send(new JsonObject().put("op", "unsubscribe").put("rooms", new JsonArray().add(ROOM)));
    assertThat(probe.next().getJsonArray("rooms")).isEqualTo(new JsonArray().add(OTHER_ROOM));
    publish(ROOM, "unwanted");
    publish(OTHER_ROOM, "wanted");
    assertThat(probe.next().getJsonObject("msg").getString("text")).isEqualTo("wanted");
    assertThat(probe.drainUntilPong()).isEmpty();
  }

  @Test
  @DisplayName("a client that reconnects with since gets exactly what it missed, then the live stream")
  void resumeAcrossReconnect() {
    startServer(OPEN);
    WsProbe first = connect();
    first.subscribe(ROOM);
    publish(ROOM, "m1", "m2", "m3");
    assertThat(seqs(first.next(3))).containsExactly(1L, 2L, 3L);
    first.close();

    publish(ROOM, "m4", "m5", "m6");
    WsProbe second = connect();
    second.send(subscribeWithSince(ROOM, 3));
    assertThat(second.next().getString("op")).isEqualTo("subscribed");
    publish(ROOM, "m7");
    List<JsonObject> frames = second.next(4);
    assertThat(seqs(frames)).containsExactly(4L, 5L, 6L, 7L);
    assertThat(frames).extracting(f -> f.getJsonObject("msg").getString("text")).containsExactly("m4", "m5", "m6", "m7");
    assertThat(second.drainUntilPong()).isEmpty();
  }

  @Test
  @DisplayName("committed records use their own seq, and a seq already held (a re-read at start) is not sent again")
  void committedSeqAndRepeats() {
    startServer(OPEN);
    WsProbe probe = connect();
    probe.subscribe(ROOM);
    deliver(committed(ROOM, 1, "m1"), committed(ROOM, 2, "m2"), committed(ROOM, 3, "m3"));
    deliver(committed(ROOM, 2, "m2"), committed(ROOM, 3, "m3"), committed(ROOM, 4, "m4"));
    assertThat(probe.next(4)).extracting(f -> f.getLong("seq"), f -> f.getJsonObject("msg").getString("text"))
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "m1"), org.assertj.core.groups.Tuple.tuple(2L, "m2"),
            org.assertj.core.groups.Tuple.tuple(3L, "m3"), org.assertj.core.groups.Tuple.tuple(4L, "m4"));
    assertThat(probe.drainUntilPong()).isEmpty();
    assertThat(server.counter("danmaku.ws.repeats.skipped")).isEqualTo(2.0);

    WsProbe resumed = connect();
    resumed.send(subscribeWithSince(ROOM, 1));
    assertThat(resumed.next().getString("op")).isEqualTo("subscribed");
    assertThat(seqs(resumed.next(3))).containsExactly(2L, 3L, 4L);
    assertThat(resumed.drainUntilPong()).isEmpty();
  }

  @Test
  @DisplayName("a history refilled from the middle of a room's stream serves resumes inside it and reports what is "
      + "older as exhausted")
  void refillFromTheMiddle() {
    startServer(OPEN);
    deliver(IntStream.rangeClosed(41, 45).mapToObj(i -> committed(ROOM, i, "m" + i)).toArray(CommittedRecord[]::new));
    WsProbe inside = connect();
    inside.send(subscribeWithSince(ROOM, 42));
    assertThat(inside.next().getString("op")).isEqualTo("subscribed");
    assertThat(seqs(inside.next(3))).containsExactly(43L, 44L, 45L);
    assertThat(inside.drainUntilPong()).isEmpty();

    WsProbe before = connect();
    before.send(subscribeWithSince(ROOM, 10));
    assertThat(before.next().getString("op")).isEqualTo("subscribed");
    assertThat(before.next()).isEqualTo(new JsonObject().put("op", "error").put("error", "history exhausted")
        .put("room_id", ROOM).put("requested", 10).put("from_seq", 41));
    assertThat(seqs(before.next(5))).containsExactly(41L, 42L, 43L, 44L, 45L);

    WsProbe ahead = connect();
    ahead.send(subscribeWithSince(ROOM, 46));
    assertThat(ahead.next().getString("op")).isEqualTo("subscribed");
    assertThat(ahead.next().getString("error")).isEqualTo("seq ahead of stream");
  }

  @Test
  @DisplayName("a seq that jumps past the next one starts the history again there: no resume is served across the hole")
  void holeRestartsHistory() {
    startServer(OPEN);
    deliver(committed(ROOM, 1, "m1"), committed(ROOM, 2, "m2"), committed(ROOM, 9, "m9"));
    WsProbe probe = connect();
    probe.send(subscribeWithSince(ROOM, 1));
    assertThat(probe.next().getString("op")).isEqualTo("subscribed");
    assertThat(probe.next()).isEqualTo(new JsonObject().put("op", "error").put("error", "history exhausted")
        .put("room_id", ROOM).put("requested", 1).put("from_seq", 9));
    assertThat(seqs(probe.next(1))).containsExactly(9L);
  }

  @Test
  @DisplayName("events:true adds the rooms' event frames with the record value as msg; other subscribers get none")
  void events() {
    startServer(OPEN);
    WsProbe withEvents = connect();
    withEvents.send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(ROOM)).put("events", true));
    assertThat(withEvents.next().getString("op")).isEqualTo("subscribed");
    WsProbe without = connect();
    without.subscribe(ROOM);

    CommittedRecord gift = event(ROOM, "SEND_GIFT");
    deliver(gift, event(OTHER_ROOM, "LIVE"), committed(ROOM, 1, "m1"));
    assertThat(withEvents.next()).isEqualTo(new JsonObject().put("op", "event").put("room_id", ROOM)
        .put("msg", new JsonObject(Buffer.buffer(gift.value()))));
    assertThat(withEvents.next().getString("op")).isEqualTo("danmaku");
    assertThat(withEvents.drainUntilPong()).isEmpty();
    assertThat(without.next().getString("op")).isEqualTo("danmaku");
    assertThat(without.drainUntilPong()).isEmpty();

    withEvents.send(new JsonObject().put("op", "unsubscribe").put("rooms", new JsonArray().add(ROOM)));
    assertThat(withEvents.next().getString("op")).isEqualTo("subscribed");
    deliver(event(ROOM, "SEND_GIFT"));
    assertThat(withEvents.drainUntilPong()).isEmpty();
  }

  @Test
  @DisplayName("a danmaku frame wraps the record value's bytes exactly as Kafka holds them")
  void frameKeepsValueBytes() {
    byte[] value = "{\"room_id\":5, \"seq\":7,\"text\":\"a\\/b \\u5f39\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(Fanout.danmakuFrame(5, 7, value).toString(java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("{\"op\":\"danmaku\",\"room_id\":5,\"seq\":7,\"msg\":{\"room_id\":5, \"seq\":7,\"text\":\"a\\/b \\u5f39\"}}");
    assertThat(Fanout.eventFrame(5, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString())
        .isEqualTo("{\"op\":\"event\",\"room_id\":5,\"msg\":{}}");
  }

  @Test
  @DisplayName("publishing a record value without its seq is refused")
  void publishNeedsSeq() {
    startServer(OPEN);
    assertThatThrownBy(() -> server.fanout.publish(ROOM, new JsonObject().put("text", "no seq")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq");
  }

  @Test
  @DisplayName("a resume the history no longer covers gets a history exhausted frame, then everything held")
  void historyExhausted() {
    startServer(new FanoutSettings(5, "", List.of()));
    publish(ROOM, IntStream.rangeClosed(1, 10).mapToObj(i -> "m" + i).toArray(String[]::new));
    WsProbe probe = connect();
    probe.send(subscribeWithSince(ROOM, 2));
    assertThat(probe.next().getString("op")).isEqualTo("subscribed");
    assertThat(probe.next()).isEqualTo(new JsonObject().put("op", "error").put("error", "history exhausted")
        .put("room_id", ROOM).put("requested", 2).put("from_seq", 6));
    assertThat(seqs(probe.next(5))).containsExactly(6L, 7L, 8L, 9L, 10L);
    assertThat(probe.drainUntilPong()).isEmpty();
  }

  @Test
  @DisplayName("a resume from a seq the room never reached (relay restarted) says so and replays what is held")
  void seqAhead() {
    startServer(OPEN);
    publish(ROOM, "m1", "m2");
    WsProbe probe = connect();
    probe.send(subscribeWithSince(ROOM, 500));
    assertThat(probe.next().getString("op")).isEqualTo("subscribed");
    assertThat(probe.next()).isEqualTo(new JsonObject().put("op", "error").put("error", "seq ahead of stream")
        .put("room_id", ROOM).put("requested", 500).put("latest", 2));
    assertThat(seqs(probe.next(2))).containsExactly(1L, 2L);
  }

  @Test
  @DisplayName("each kind of bad frame gets an error frame and the connection stays usable")
  void badFramesGetErrors() {
    startServer(OPEN);
    WsProbe probe = connect();
    List<String> bad = List.of(
        "{not json",
        "[1,2]",
        "{\"rooms\":[1]}",
        "{\"op\":\"dance\"}",
        "{\"op\":\"subscribe\",\"rooms\":[\"abc\"]}",
        "{\"op\":\"subscribe\",\"rooms\":[-4]}",
        "{\"op\":\"subscribe\",\"rooms\":[1.5]}",
        "{\"op\":\"subscribe\",\"rooms\":5}",
        "{\"op\":\"subscribe\",\"rooms\":[5],\"since\":{\"5\":\"x\"}}",
        "{\"op\":\"subscribe\",\"rooms\":" + new JsonArray(IntStream.rangeClosed(1, 1001).boxed().toList()) + "}");
    for (String text : bad) {
      probe.sendText(text);
      JsonObject reply = probe.next();
      assertThat(reply.getString("op")).as("reply to %s", text).isEqualTo("error");
      assertThat(reply.getString("error")).isNotBlank();
    }
    probe.sendBinary(Buffer.buffer("{\"op\":\"ping\"}"));
    assertThat(probe.next().getString("error")).contains("binary");

    assertThat(probe.subscribe("21452505").getJsonArray("rooms")).isEqualTo(new JsonArray().add(ROOM));
    publish(ROOM, "still here");
    assertThat(probe.next().getJsonObject("msg").getString("text")).isEqualTo("still here");
    assertThat(server.counter("danmaku.ws.bad.frames")).isEqualTo(bad.size() + 1.0);
  }

  @Test
  @DisplayName("subscriptions beyond the per-connection room limit are refused as a whole")
  void roomLimitAcrossFrames() {
    startServer(OPEN);
    WsProbe probe = connect();
    probe.send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray(IntStream.rangeClosed(1, 1000).boxed().toList())));
    assertThat(probe.next().getJsonArray("rooms")).hasSize(1000);
    probe.send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(5000)));
    assertThat(probe.next().getString("error")).startsWith("too many rooms");
  }

  @Test
  @DisplayName("a message larger than 64 KiB, fragmented or in one frame, closes the connection with 1009")
  void oversizedCloses() {
    server = FanoutServer.start(vertx, OPEN, FanoutLimits.DEFAULTS,
        Fanout.recommendedServerOptions(new HttpServerOptions(), FanoutLimits.DEFAULTS), r -> { });
    String big = "{\"op\":\"ping\",\"pad\":\"" + "x".repeat(70 * 1024) + "\"}";
    WsProbe fragmented = connect();
    fragmented.sendFrame(WebSocketFrame.textFrame(big.substring(0, 40_000), false));
    fragmented.sendFrame(WebSocketFrame.continuationFrame(Buffer.buffer(big.substring(40_000)), true));
    assertThat(fragmented.awaitClose()).isEqualTo((short) 1009);

    WebSocketClient bigFrames = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1024 * 1024));
    WsProbe single = WsProbe.open(bigFrames, server.port(), Endpoints.WS);
    single.sendFrame(WebSocketFrame.textFrame(big, true));
    assertThat(single.awaitClose()).isEqualTo((short) 1009);

    WsProbe huge = WsProbe.open(bigFrames, server.port(), Endpoints.WS);
    huge.ws.writeFrame(WebSocketFrame.textFrame("x".repeat(300 * 1024), true));
    // Past the server's own frame bound Netty stops reading mid-frame, so the close frame may be lost to
    // the TCP reset: the connection still ends, and is counted as oversized.
    huge.awaitClose();
    // Netty may drop the connection before the server's handler counted it: wait for the count.
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(server.counter("danmaku.ws.disconnects", "reason", "oversized")).isEqualTo(3.0));
  }

  @Test
  @DisplayName("a client flooding frames is closed with 1008")
  void floodCloses() {
    startServer(OPEN);
    WsProbe probe = connect();
    for (int i = 0; i < 300 && !probe.ws.isClosed(); i++) {
      probe.ws.writeTextMessage("{\"op\":\"ping\"}");
    }
    assertThat(probe.awaitClose()).isEqualTo((short) 1008);
    assertThat(server.counter("danmaku.ws.disconnects", "reason", "flood")).isEqualTo(1.0);
  }

  @Test
  @DisplayName("with ws.token set the upgrade needs ?token=TOKEN, else 401")
  void token() {
    startServer(new FanoutSettings(1000, "s3cret", List.of()));
    assertThat(rejection(Endpoints.WS)).isEqualTo(401);
    assertThat(rejection("/ws?token=wrong")).isEqualTo(401);
    assertThat(connect("/ws?token=s3cret").subscribe(ROOM).getString("op")).isEqualTo("subscribed");
  }

  @Test
  @DisplayName("with ws.allowedOrigins set another Origin gets 403, a listed one or none is let in")
  void origins() {
    startServer(new FanoutSettings(1000, "", List.of("https://dash.example.org")));
    WebSocketConnectOptions evil = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI(Endpoints.WS).putHeader("Origin", "https://evil.example.com");
    assertThatThrownBy(() -> WsProbe.await(client.connect(evil)))
        .hasRootCauseInstanceOf(UpgradeRejectedException.class)
        .rootCause().extracting(e -> ((UpgradeRejectedException) e).getStatus()).isEqualTo(403);
    WebSocketConnectOptions good = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI(Endpoints.WS).putHeader("Origin", "https://dash.example.org");
    assertThat(WsProbe.await(client.connect(good)).isClosed()).isFalse();
    WebSocketConnectOptions noOrigin = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI(Endpoints.WS).setAllowOriginHeader(false);
    assertThat(WsProbe.await(client.connect(noOrigin)).isClosed()).isFalse();
  }

  private int rejection(String uri) {
    try {
      WsProbe.await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port()).setURI(uri)));
    } catch (AssertionError e) {
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof UpgradeRejectedException rejected) {
        return rejected.getStatus();
      }
      throw e;
    }
    throw new AssertionError("upgrade to " + uri + " was accepted");
  }

  @Test
  @DisplayName("a client that stops reading is cut off with 1013 while another keeps receiving everything")
  void slowClientCutOff() {
    FanoutLimits small = new FanoutLimits(64 * 1024, 50, 100, 1000, 100, 256 * 1024, 500);
    server = FanoutServer.start(vertx, OPEN, small, new HttpServerOptions().setSendBufferSize(16 * 1024), r -> { });
    WebSocketClient smallBuffers = vertx.createWebSocketClient(new WebSocketClientOptions().setReceiveBufferSize(16 * 1024));
    WsProbe slow = WsProbe.open(smallBuffers, server.port(), Endpoints.WS);
    probes.add(slow);
    WsProbe fast = connect();
    slow.subscribe(ROOM);
    fast.subscribe(ROOM);
    assertThat(server.fanout.encodedConnections()).as("both get the shared encoded frames").isEqualTo(2);
    slow.ws.pause();

    String padding = "x".repeat(2048);
    long published = 0;
    List<Long> fastSeqs = new ArrayList<>();
    while (server.counter("danmaku.ws.disconnects", "reason", "slow") == 0 && published < 20_000) {
      for (int i = 0; i < 50; i++) {
        publish(ROOM, padding);
      }
      published += 50;
      seqs(fast.next(50)).forEach(fastSeqs::add);
    }
    assertThat(server.counter("danmaku.ws.disconnects", "reason", "slow")).isEqualTo(1.0);
    publish(ROOM, "after the cut-off");
    JsonObject last = fast.next();
    fastSeqs.add(last.getLong("seq"));
    assertThat(fastSeqs).containsExactlyElementsOf(IntStream.rangeClosed(1, (int) published + 1).mapToObj(i -> (long) i).toList());
    assertThat(server.fanout.connections()).isEqualTo(1);
    // Still not reading: the server drops its TCP connection after the grace period all the same.
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (closingOnServer() > 0 && System.nanoTime() < deadline) {
      WsProbe.await(vertx.timer(20));
    }
    assertThat(closingOnServer()).isZero();
  }

  private int closingOnServer() {
    io.vertx.core.Promise<Integer> count = io.vertx.core.Promise.promise();
    server.context().runOnContext(v -> count.complete(server.fanout.closingConnections()));
    return WsProbe.await(count.future());
  }

  @Test
  @DisplayName("close() ends every connection with 1001")
  void closeAll() {
    startServer(OPEN);
    WsProbe probe = connect();
    probe.subscribe(ROOM);
    server.fanout.close();
    assertThat(probe.awaitClose()).isEqualTo((short) 1001);
    assertThat(server.fanout.connections()).isZero();
  }

  @Test
  @DisplayName("the fan-out tells when a room gains its first subscriber and when it loses its last, once each")
  void watchChanges() {
    startServer(OPEN);
    List<String> changes = java.util.Collections.synchronizedList(new ArrayList<>());
    server.fanout.onWatchChange((room, watched) -> changes.add(room + ":" + watched));
    WsProbe first = connect();
    first.subscribe(ROOM);
    WsProbe second = connect();
    second.subscribe(ROOM, OTHER_ROOM);
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(changes).containsExactly(ROOM + ":true", OTHER_ROOM + ":true"));
    first.close();
    second.send(new JsonObject().put("op", "unsubscribe").put("rooms", new JsonArray().add(OTHER_ROOM)));
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(changes).hasSize(3).last().isEqualTo(OTHER_ROOM + ":false"));
    second.close();
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(changes).containsExactly(ROOM + ":true", OTHER_ROOM + ":true",
            OTHER_ROOM + ":false", ROOM + ":false"));
  }

  @Test
  @DisplayName("connections are spread over the shards' event loops, and a client on each shard gets every record once, in order")
  void shardsShareTheFeed() {
    server = FanoutServer.start(vertx, OPEN, FanoutLimits.DEFAULTS, 2);
    assertThat(server.fanout.shards()).isEqualTo(2);
    List<WsProbe> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      WsProbe probe = connect();
      probe.subscribe(ROOM);
      clients.add(probe);
    }
    assertThat(server.fanout.connectionsPerShard()).hasSize(2).allSatisfy(n -> assertThat(n).isPositive())
        .satisfies(counts -> assertThat(counts.stream().mapToInt(Integer::intValue).sum()).isEqualTo(4));
    List<CommittedRecord> batch = new ArrayList<>();
    for (long seq = 1; seq <= 50; seq++) {
      batch.add(committed(ROOM, seq, "m" + seq));
    }
    WsProbe.await(server.fanout.deliver(batch));
    deliver(committed(ROOM, 51, "m51"));
    for (WsProbe probe : clients) {
      assertThat(seqs(probe.next(51))).containsExactlyElementsOf(LongStream.rangeClosed(1, 51).boxed().toList());
    }
    // Every shard holds the history: a client resuming lands on either shard and gets what it missed.
    for (int i = 0; i < 2; i++) {
      WsProbe late = connect();
      late.send(subscribeWithSince(ROOM, 48));
      assertThat(late.next().getString("op")).isEqualTo("subscribed");
      assertThat(seqs(late.next(3))).containsExactly(49L, 50L, 51L);
    }
    assertThat(server.counter("danmaku.ws.messages.sent")).isEqualTo(4 * 51 + 2 * 3);
  }

  @Test
  @DisplayName("a client that negotiated permessage-deflate (as browsers do) gets the batched frames intact and in order")
  void compressedClient() {
    startServer(OPEN);
    WebSocketClient deflating = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(true));
    WsProbe probe = WsProbe.open(deflating, server.port(), Endpoints.WS);
    probes.add(probe);
    assertThat(probe.ws.headers().get("Sec-WebSocket-Extensions")).as("negotiated").contains("permessage-deflate");
    probe.subscribe(ROOM);
    assertThat(server.fanout.encodedConnections()).as("compressed frames go through the encoder").isZero();
    List<CommittedRecord> batch = new ArrayList<>();
    for (long seq = 1; seq <= 30; seq++) {
      batch.add(committed(ROOM, seq, "弹幕 " + "x".repeat((int) seq * 40)));
    }
    WsProbe.await(server.fanout.deliver(batch));
    List<JsonObject> frames = probe.next(30);
    assertThat(seqs(frames)).containsExactlyElementsOf(LongStream.rangeClosed(1, 30).boxed().toList());
    assertThat(frames.get(29).getJsonObject("msg").getString("text")).isEqualTo("弹幕 " + "x".repeat(1200));
  }

  @Test
  @DisplayName("a raw client receives every frame byte for byte as the WebSocket encoder writes it, replies and live "
      + "frames from one byte of text to over 64 KiB")
  void rawClientBytes() throws Exception {
    startServer(OPEN);
    try (RawWebSocket raw = RawWebSocket.open(server.port(), Endpoints.WS, null)) {
      raw.sendText(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(ROOM)).encode());
      byte[] subscribed = WebSocketInternalsTest.encoderBytes(
          new JsonObject().put("op", "subscribed").put("rooms", new JsonArray().add(ROOM)).toBuffer().getBytes());
      assertThat(raw.readExactly(subscribed.length)).isEqualTo(subscribed);
      assertThat(server.fanout.encodedConnections()).isEqualTo(1);
      long seq = 0;
      for (int textLength : new int[] {1, 60, 200, 70_000, 300_000}) {
        List<CommittedRecord> batch = List.of(committed(ROOM, ++seq, "x".repeat(textLength)),
            committed(ROOM, ++seq, "弹幕"));
        WsProbe.await(server.fanout.deliver(batch));
        for (CommittedRecord record : batch) {
          byte[] expected = WebSocketInternalsTest.encoderBytes(
              Fanout.danmakuFrame(ROOM, record.seq(), record.value()).getBytes());
          assertThat(raw.readExactly(expected.length)).as("frame of seq %d", record.seq()).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  @DisplayName("listen on a port already taken fails (every shard's server), and the fan-out says why")
  void listenOnATakenPortFails() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      Fanout fanout = new Fanout(vertx, OPEN, new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
          FanoutLimits.DEFAULTS, System::nanoTime, 2);
      io.vertx.core.Future<io.vertx.core.http.HttpServer> listened = fanout.listen(
          new HttpServerOptions().setHost("127.0.0.1").setPort(taken.getLocalPort()), r -> r.response().end());
      assertThat(WsProbe.await(listened.map(s -> "listening").otherwise(e -> "failed: " + e.getMessage())))
          .startsWith("failed");
      WsProbe.await(fanout.close());
    }
  }
}
