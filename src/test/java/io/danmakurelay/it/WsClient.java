package io.danmakurelay.it;

import io.vertx.core.Future;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real Vert.x WebSocket client of the relay's /ws for integration tests: frames in a queue, close code awaited. */
final class WsClient {
  static final long WAIT_SECONDS = 10;

  final WebSocket ws;
  final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  final CompletableFuture<Short> closed = new CompletableFuture<>();

  private WsClient(WebSocket ws) {
    this.ws = ws;
    ws.textMessageHandler(text -> received.add(new JsonObject(text)));
    ws.closeHandler(ignored -> closed.complete(ws.closeStatusCode()));
  }

  static Future<WsClient> connect(WebSocketClient client, int port, String uri) {
    return connect(client, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri));
  }

  static Future<WsClient> connect(WebSocketClient client, WebSocketConnectOptions options) {
    return client.connect(options).map(WsClient::new);
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS * 3, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("operation did not complete: " + e, e);
    }
  }

  void send(String text) {
    await(ws.writeTextMessage(text));
  }

  JsonObject subscribe(List<Long> rooms) {
    send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray(List.copyOf(rooms))).encode());
    return next();
  }

  /** The next frame, failing the test when none comes in time. */
  JsonObject next() {
    try {
      JsonObject frame = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      if (frame == null) {
        throw new AssertionError("no frame within " + WAIT_SECONDS + " s");
      }
      return frame;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  short awaitClose() {
    try {
      Short code = closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
      return code == null ? -1 : code;
    } catch (Exception e) {
      throw new AssertionError("connection not closed within " + WAIT_SECONDS + " s", e);
    }
  }

  /** Closes from the client side; a connection the server already dropped is fine. */
  void close() {
    ws.resume();
    if (!ws.isClosed()) {
      try {
        ws.close().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // already reset by the server
      }
    }
  }
}
