package io.danmakurelay.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.testsupport.WsProbe;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
      writer.flush(() -> flushed.complete(true));
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
}
