package io.danmakurelay.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.testsupport.RawWebSocket;
import io.danmakurelay.testsupport.WsProbe;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Guards the fan-out's only uses of Vert.x internals: if a Vert.x upgrade moves or changes them, these
 * fail here, by name, instead of the fan-out silently losing its shared frames or its cut-off.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("WebSocketInternals (Vert.x internals the fan-out relies on)")
class WebSocketInternalsTest {

  @Test
  @DisplayName("a shared text frame is a final TEXT frame over exactly the given bytes, readable twice")
  void sharedTextFrame() {
    Buffer bytes = Buffer.buffer("{\"text\":\"弹幕\"}", "UTF-8");
    WebSocketFrame first = WebSocketInternals.sharedTextFrame(bytes);
    WebSocketFrame second = WebSocketInternals.sharedTextFrame(bytes);
    assertThat(first.type()).isEqualTo(WebSocketFrameType.TEXT);
    assertThat(first.isFinal()).isTrue();
    assertThat(first.textData()).isEqualTo("{\"text\":\"弹幕\"}");
    assertThat(second.binaryData().getBytes()).isEqualTo("{\"text\":\"弹幕\"}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("dropTransport reaches the channel under a Vert.x Web WebSocket and closes the TCP connection")
  void dropTransport(Vertx vertx) {
    Promise<ServerWebSocket> accepted = Promise.promise();
    Router router = Router.router(vertx);
    router.get("/ws").handler(ctx -> ctx.request().toWebSocket().onSuccess(accepted::complete));
    HttpServer server = WsProbe.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    WsProbe client = WsProbe.open(vertx.createWebSocketClient(), server.actualPort(), "/ws");
    ServerWebSocket ws = WsProbe.await(accepted.future());
    Promise<Boolean> dropped = Promise.promise();
    ws.closeHandler(v -> { });
    vertx.runOnContext(v -> dropped.complete(WebSocketInternals.dropTransport(ws)));
    assertThat(WsProbe.await(dropped.future())).as("the channel was reached").isTrue();
    // No close frame was sent: the client sees the TCP connection end (no status code).
    assertThat(client.awaitClose()).isIn((short) -1, (short) 1006);
  }

  @Test
  @DisplayName("a direct writer reaches the channel, writes frames unflushed and flushes them in order, on the event loop only")
  void directWriter(Vertx vertx) {
    Promise<ServerWebSocket> accepted = Promise.promise();
    Router router = Router.router(vertx);
    router.get("/ws").handler(ctx -> ctx.request().toWebSocket().onSuccess(accepted::complete));
    HttpServer server = WsProbe.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    WsProbe client = WsProbe.open(vertx.createWebSocketClient(), server.actualPort(), "/ws");
    ServerWebSocket ws = WsProbe.await(accepted.future());
    WebSocketInternals.DirectWriter writer = WebSocketInternals.DirectWriter.of(ws);
    assertThat(writer).as("the channel of a Vert.x Web WebSocket was reached").isNotNull();
    assertThat(writer.onEventLoop()).as("the test thread is not the channel's event loop").isFalse();
    Buffer shared = Buffer.buffer("{\"n\":2}");
    Promise<Boolean> flushed = Promise.promise();
    Promise<Boolean> onLoop = Promise.promise();
    vertx.runOnContext(v -> {
      onLoop.complete(writer.onEventLoop() && writer.writable());
      writer.write(Buffer.buffer("{\"n\":1}"));
      writer.write(shared);
      writer.write(shared);
      writer.flush(3, 0, (frames, bytes) -> flushed.complete(true));
    });
    assertThat(WsProbe.await(onLoop.future())).as("on the event loop, writable").isTrue();
    assertThat(WsProbe.await(flushed.future())).isTrue();
    assertThat(client.next(3)).extracting(f -> f.getInteger("n")).containsExactly(1, 2, 2);
  }

  @Test
  @DisplayName("eventLoopContexts gives contexts on distinct event loops, the given one first")
  void eventLoopContexts(Vertx vertx) {
    Context first = vertx.getOrCreateContext();
    List<Context> contexts = WebSocketInternals.eventLoopContexts(vertx, first, 3);
    assertThat(contexts).hasSize(3).first().isSameAs(first);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    List<Future<Boolean>> checks = new ArrayList<>();
    for (Context context : contexts) {
      Promise<Boolean> check = Promise.promise();
      context.runOnContext(v -> {
        threads.add(Thread.currentThread().getName());
        check.complete(WebSocketInternals.onEventLoopOf(context) && context.isEventLoopContext());
      });
      checks.add(check.future());
    }
    for (Future<Boolean> check : checks) {
      assertThat(WsProbe.await(check)).isTrue();
    }
    assertThat(threads).hasSize(3);
    assertThat(WebSocketInternals.onEventLoopOf(first)).as("the test thread is no event loop").isFalse();
  }

  /** Frame lengths at every boundary of the header's length field, up to 1 MiB and past it. */
  private static final int[] LENGTHS = {0, 1, 125, 126, 1024, 1025, 65535, 65536, 1024 * 1024, 1024 * 1024 + 1};

  /** A UTF-8 payload of exactly {@code length} bytes, multi-byte characters included. */
  private static byte[] payload(int length) {
    byte[] pattern = "{\"text\":\"弹幕 danmaku\"}".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = pattern[i % pattern.length];
    }
    return bytes;
  }

  /** What Netty's server-side WebSocket encoder (the one in the relay's pipeline) writes for a final text frame. */
  static byte[] encoderBytes(byte[] payload) {
    EmbeddedChannel channel = new EmbeddedChannel(new WebSocket08FrameEncoder(false));
    channel.writeOutbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(payload.clone())));
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    for (ByteBuf part = channel.readOutbound(); part != null; part = channel.readOutbound()) {
      byte[] bytes = new byte[part.readableBytes()];
      part.readBytes(bytes);
      wire.writeBytes(bytes);
      part.release();
    }
    channel.finishAndReleaseAll();
    return wire.toByteArray();
  }

  @Test
  @DisplayName("an encoded frame is byte for byte what Netty's WebSocket encoder writes, at every length boundary up to past 1 MiB")
  void encodedFrameIsTheEncodersBytes() {
    for (int length : LENGTHS) {
      WebSocketInternals.EncodedFrame frame =
          WebSocketInternals.EncodedFrame.of(Buffer.buffer(payload(length)), UnpooledByteBufAllocator.DEFAULT);
      assertThat(frame.payloadLength()).isEqualTo(length);
      assertThat(frame.wireBytes()).as("frame of %d payload bytes", length).isEqualTo(encoderBytes(payload(length)));
      frame.release();
    }
  }

  /** A server whose accepted WebSocket and its event-loop context the test can reach. */
  private record Accepted(ServerWebSocket ws, Context context) {}

  private static Future<Accepted> acceptOne(Vertx vertx, Promise<Integer> port) {
    Promise<Accepted> accepted = Promise.promise();
    Router router = Router.router(vertx);
    router.get("/ws").handler(ctx -> ctx.request().toWebSocket()
        .onSuccess(ws -> accepted.complete(new Accepted(ws, Vertx.currentContext()))));
    vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .onSuccess(server -> port.complete(server.actualPort()));
    return accepted.future();
  }

  @Test
  @DisplayName("a raw client receives the once-encoded frames byte for byte as the frames that went through the encoder, "
      + "in order, large frames included, though each frame's own reference was released at once")
  void rawClientGetsTheSameBytes(Vertx vertx) throws Exception {
    Promise<Integer> port = Promise.promise();
    Future<Accepted> accepted = acceptOne(vertx, port);
    try (RawWebSocket raw = RawWebSocket.open(WsProbe.await(port.future()), "/ws", null)) {
      Accepted server = WsProbe.await(accepted);
      WebSocketInternals.DirectWriter writer = WebSocketInternals.DirectWriter.of(server.ws());
      assertThat(writer.takesEncoded()).as("no extension negotiated").isTrue();
      int[] lengths = {1, 125, 126, 1025, 65535, 65536, 1024 * 1024};
      Promise<Void> flushed = Promise.promise();
      server.context().runOnContext(v -> {
        for (int length : lengths) {
          Buffer payload = Buffer.buffer(payload(length));
          // The old path (through the encoder), then the same payload once encoded, released as soon as queued.
          writer.write(payload);
          WebSocketInternals.EncodedFrame encoded = writer.encode(payload);
          writer.writeEncoded(encoded);
          encoded.release();
        }
        writer.flush(2 * lengths.length, 0, (frames, bytes) -> flushed.complete());
      });
      for (int length : lengths) {
        byte[] expected = encoderBytes(payload(length));
        byte[] throughEncoder = raw.readExactly(expected.length);
        byte[] encodedOnce = raw.readExactly(expected.length);
        assertThat(throughEncoder).as("frame of %d bytes through the encoder", length).isEqualTo(expected);
        assertThat(Arrays.equals(encodedOnce, throughEncoder)).as("frame of %d bytes encoded once", length).isTrue();
      }
      WsProbe.await(flushed.future());
    }
  }

  @Test
  @DisplayName("only a connection that negotiated no extension takes encoded frames (permessage-deflate keeps the encoder)")
  void encodedOnlyWithoutExtensions(Vertx vertx) throws Exception {
    Promise<Integer> plainPort = Promise.promise();
    Future<Accepted> plain = acceptOne(vertx, plainPort);
    try (RawWebSocket raw = RawWebSocket.open(WsProbe.await(plainPort.future()), "/ws", null)) {
      assertThat(WebSocketInternals.DirectWriter.of(WsProbe.await(plain).ws()).takesEncoded()).isTrue();
    }
    Promise<Integer> deflatePort = Promise.promise();
    Future<Accepted> deflate = acceptOne(vertx, deflatePort);
    try (RawWebSocket raw = RawWebSocket.open(WsProbe.await(deflatePort.future()), "/ws", "permessage-deflate")) {
      assertThat(raw.handshakeResponse).as("negotiated").containsIgnoringCase("permessage-deflate");
      assertThat(WebSocketInternals.DirectWriter.of(WsProbe.await(deflate).ws()).takesEncoded()).isFalse();
    }
    Promise<Integer> vertxPort = Promise.promise();
    Future<Accepted> vertxDeflate = acceptOne(vertx, vertxPort);
    WsProbe client = WsProbe.open(vertx.createWebSocketClient(new WebSocketClientOptions()
        .setTryUsePerMessageCompression(true)), WsProbe.await(vertxPort.future()), "/ws");
    assertThat(client.ws.headers().get("Sec-WebSocket-Extensions")).contains("permessage-deflate");
    assertThat(WebSocketInternals.DirectWriter.of(WsProbe.await(vertxDeflate).ws()).takesEncoded()).isFalse();
    client.close();
  }

  private static double bytesWritten(SimpleMeterRegistry registry) {
    return registry.find("vertx.http.server.bytes.written").counters().stream().mapToDouble(Counter::count).sum();
  }

  @Test
  @DisplayName("frames written directly, through the encoder or encoded once, count in Vert.x's bytes-written metric as "
      + "Vert.x's own writeFrame counts them")
  void bytesWrittenMetric() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Vertx metered = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    try {
      Promise<Integer> port = Promise.promise();
      Future<Accepted> accepted = acceptOne(metered, port);
      try (RawWebSocket raw = RawWebSocket.open(WsProbe.await(port.future()), "/ws", null)) {
        Accepted server = WsProbe.await(accepted);
        WebSocketInternals.DirectWriter writer = WebSocketInternals.DirectWriter.of(server.ws());
        Buffer payload = Buffer.buffer(payload(1024));
        int frameBytes = encoderBytes(payload.getBytes()).length;
        // 8 KiB of payload each time: Vert.x reports in steps of 4 KiB, so each step is reported whole.
        double before = bytesWritten(registry);
        Promise<Void> flushed = Promise.promise();
        server.context().runOnContext(v -> {
          for (int i = 0; i < 4; i++) {
            writer.write(payload);
            WebSocketInternals.EncodedFrame encoded = writer.encode(payload);
            writer.writeEncoded(encoded);
            encoded.release();
          }
          writer.flush(8, 8 * 1024, (frames, bytes) -> flushed.complete());
        });
        raw.readExactly(8 * frameBytes);
        WsProbe.await(flushed.future());
        double direct = bytesWritten(registry) - before;

        List<Future<Void>> writes = new ArrayList<>();
        Promise<Void> queued = Promise.promise();
        server.context().runOnContext(v -> {
          for (int i = 0; i < 8; i++) {
            writes.add(server.ws().writeFrame(WebSocketInternals.sharedTextFrame(payload)));
          }
          queued.complete();
        });
        WsProbe.await(queued.future());
        raw.readExactly(8 * frameBytes);
        WsProbe.await(Future.all(writes));
        double viaVertx = bytesWritten(registry) - before - direct;
        assertThat(viaVertx).as("Vert.x's own count for 8 frames of 1 KiB").isEqualTo(8 * 1024.0);
        assertThat(direct).as("the direct writer's count for the same").isEqualTo(viaVertx);
      }
    } finally {
      WsProbe.await(metered.close());
    }
  }
}
