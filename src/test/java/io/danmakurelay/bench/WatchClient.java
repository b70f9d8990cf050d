package io.danmakurelay.bench;

import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The capture benchmark's {@code /ws} client, subscribed to the watched rooms for a whole run as a dashboard or an
 * overlay would be, and what became of its connection.
 *
 * <p>It keeps its {@link WebSocketClient}: Vert.x closes every WebSocket of a client that is garbage collected (the
 * client {@code createWebSocketClient()} returns is registered with a {@link java.lang.ref.Cleaner}, whose action
 * shuts the client down with a 30 s grace period). A client known only to the {@code connect} call is therefore
 * closed about 30 s after the driver's next GC, with code 1000; the relay then rightly stops polling the rooms as
 * watched, and the watched rooms' figures measure unwatched rooms (the S1 watched p95 of 18 s, 2026-12-02).
 */
final class WatchClient implements AutoCloseable {

  private final WebSocketClient client;
  private final WebSocket ws;
  private final long openedAtMs;
  private volatile long closedAtMs;
  private volatile String closedHow;

  private WatchClient(WebSocketClient client, WebSocket ws) {
    this.client = client;
    this.ws = ws;
    this.openedAtMs = System.currentTimeMillis();
    ws.closeHandler(v -> {
      closedAtMs = System.currentTimeMillis();
      closedHow = "code " + ws.closeStatusCode() + (ws.closeReason() == null ? "" : " (" + ws.closeReason() + ")");
    });
  }

  /**
   * Connects {@code client} to the relay's {@code /ws} and subscribes to {@code rooms}; the returned watcher holds the
   * client for as long as it is open. The handshake is tried a few times: on a machine loaded by other builds one
   * was once closed before it completed.
   */
  static WatchClient open(WebSocketClient client, int httpPort, Set<Long> rooms) throws Exception {
    WebSocket ws = null;
    for (int attempt = 1; ws == null; attempt++) {
      try {
        ws = client.connect(httpPort, "127.0.0.1", "/ws").await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        if (attempt == 5) {
          throw e;
        }
        System.out.println("  /ws handshake failed (" + e + "); trying again");
        BenchSupport.sleep(2000);
      }
    }
    CompletableFuture<String> subscribed = new CompletableFuture<>();
    ws.textMessageHandler(text -> {
      JsonObject frame = new JsonObject(text);
      if (!"danmaku".equals(frame.getString("op"))) {
        subscribed.complete(frame.getString("op"));
      }
    });
    WatchClient watcher = new WatchClient(client, ws);
    ws.writeTextMessage(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray(new ArrayList<>(rooms)))
        .encode()).await(30, TimeUnit.SECONDS);
    String op = subscribed.get(30, TimeUnit.SECONDS);
    if (!"subscribed".equals(op)) {
      throw new IllegalStateException("subscribing to the watched rooms answered " + op);
    }
    return watcher;
  }

  boolean isOpen() {
    return closedHow == null;
  }

  /** Whether the connection was still open at {@code atMs} (a close after that instant does not count). */
  boolean openAt(long atMs) {
    return closedHow == null || closedAtMs > atMs;
  }

  /** One line for the benchmark's output: open throughout, or when and how it was closed. */
  String describe() {
    return closedHow == null
        ? "open throughout"
        : "CLOSED " + (closedAtMs - openedAtMs) / 1000.0 + " s after subscribing, " + closedHow;
  }

  @Override
  public void close() throws Exception {
    ws.close().await(10, TimeUnit.SECONDS);
    client.close().await(10, TimeUnit.SECONDS);
  }
}
