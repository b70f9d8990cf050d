package io.danmakurelay.testsupport;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real Vert.x WebSocket client for tests (fan-out unit tests and whole-relay integration tests): sends
 * frames, and lets the test thread await what arrives and how the connection closed.
 */
public final class WsProbe {
  public static final long WAIT_SECONDS = 10;

  public final WebSocket ws;
  public final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  public final CompletableFuture<Short> closed = new CompletableFuture<>();
  /**
   * Held for the probe's life: Vert.x 5 shuts a WebSocketClient down (and closes its sockets) about 30 s after the
   * client object is garbage-collected, even while a socket of it is open and referenced.
   */
  @SuppressWarnings({"unused", "FieldCanBeLocal"})
  private final WebSocketClient client;

  private WsProbe(WebSocketClient client, WebSocket ws) {
    this.client = client;
    this.ws = ws;
    ws.textMessageHandler(text -> received.add(new JsonObject(text)));
    ws.closeHandler(ignored -> closed.complete(ws.closeStatusCode()));
  }

  /** Connects and waits for the handshake. */
  public static WsProbe open(WebSocketClient client, int port, String uri) {
    return await(connect(client, port, uri));
  }

  public static Future<WsProbe> connect(WebSocketClient client, int port, String uri) {
    return connect(client, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri));
  }

  public static Future<WsProbe> connect(WebSocketClient client, WebSocketConnectOptions options) {
    return client.connect(options).map(ws -> new WsProbe(client, ws));
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS * 3, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("operation did not complete: " + e, e);
    }
  }

  public void send(JsonObject frame) {
    await(ws.writeTextMessage(frame.encode()));
  }

  public void sendText(String text) {
    await(ws.writeTextMessage(text));
  }

  public void sendFrame(WebSocketFrame frame) {
    await(ws.writeFrame(frame));
  }

  public void sendBinary(Buffer bytes) {
    await(ws.writeBinaryMessage(bytes));
  }

  /** The next frame, failing the test when none comes in time. */
  public JsonObject next() {
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

  public List<JsonObject> next(int count) {
    List<JsonObject> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      frames.add(next());
    }
    return frames;
  }

  /** Sends a ping and returns every frame that came before the pong: what is still queued up. */
  public List<JsonObject> drainUntilPong() {
    send(new JsonObject().put("op", "ping"));
    List<JsonObject> before = new ArrayList<>();
    while (true) {
      JsonObject frame = next();
      if ("pong".equals(frame.getString("op"))) {
        return before;
      }
      before.add(frame);
    }
  }

  public JsonObject subscribe(List<Long> rooms) {
    return subscribe(rooms.toArray());
  }

  public JsonObject subscribe(Object... rooms) {
    send(new JsonObject().put("op", "subscribe").put("rooms", new io.vertx.core.json.JsonArray(List.of(rooms))));
    return next();
  }

  public short awaitClose() {
    try {
      Short code = closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
      return code == null ? -1 : code;
    } catch (Exception e) {
      throw new AssertionError("connection not closed within " + WAIT_SECONDS + " s", e);
    }
  }

  /** Closes from the client side; a connection the server already dropped is fine. */
  public void close() {
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
