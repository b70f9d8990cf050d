package io.danmakurelay.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The capture benchmark's watching client must stay connected for the whole run. Vert.x closes the WebSockets of a
 * client that is garbage collected (30 s after the collection), so the watcher must keep its client reachable; the
 * control, a client known only to its connect call like the driver's before 2026-12-02, is collected at the first GC.
 */
class WatchClientTest {

  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void startServer() throws Exception {
    vertx = Vertx.vertx();
    // A stand-in for the relay's /ws: answers every subscribe with "subscribed".
    server = vertx.createHttpServer().webSocketHandler(ws -> ws.textMessageHandler(text -> {
      if ("subscribe".equals(new JsonObject(text).getString("op"))) {
        ws.writeTextMessage(new JsonObject().put("op", "subscribed").encode());
      }
    })).listen(0).await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("the watcher keeps its WebSocket client reachable across garbage collections, so Vert.x never closes its"
      + " connection, while a client known only to its connect call is collected")
  void watcherHoldsItsClient() throws Exception {
    WebSocketClient watcherClient = vertx.createWebSocketClient();
    WeakReference<WebSocketClient> watcherClientRef = new WeakReference<>(watcherClient);
    WatchClient watcher = WatchClient.open(watcherClient, server.actualPort(), Set.of(1_000_010L));
    watcherClient = null;

    WebSocketClient controlClient = vertx.createWebSocketClient();
    WeakReference<WebSocketClient> controlClientRef = new WeakReference<>(controlClient);
    WebSocket control = controlClient.connect(server.actualPort(), "127.0.0.1", "/ws").await(30, TimeUnit.SECONDS);
    controlClient = null;

    // The control shows a collection ran that would have taken an unreferenced client.
    await("the control client is collected").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          System.gc();
          return controlClientRef.get() == null;
        });
    assertThat(control).isNotNull();
    assertThat(watcherClientRef.get()).as("the watcher's client after the collection").isNotNull();
    assertThat(watcher.isOpen()).isTrue();
    watcher.close();
    await("the watcher's close is seen").atMost(Duration.ofSeconds(30)).until(() -> !watcher.isOpen());
  }
}
